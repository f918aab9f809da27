import type { Command } from "commander";
import { signOrder, type Side } from "../domain/order.ts";
import {
  api,
  bigintArg,
  CliError,
  loadKey,
  print,
  type Output,
  deployment,
  DEFAULT_DEPLOYMENT,
} from "./common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("order")
    .description("sign a limit order and send it to the operator")
    .requiredOption("--key <file>", "keystore")
    .requiredOption(
      "--account <n>",
      "your account index (2: the insurance fund, with its owner's key; the fee account 1 never trades)",
    )
    .requiredOption("--market <m>", "market index")
    .requiredOption("--side <side>", "buy or sell")
    .requiredOption("--amount <lots>", "size in lots")
    .requiredOption("--price <p>", "limit price")
    .requiredOption("--nonce <n>", "order nonce: above every nonce you used on this market")
    .option("--max-fee <bps>", "highest fee rate you accept, basis points", "10")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .action(async (o: Record<string, string>) => {
      if (o.side !== "buy" && o.side !== "sell")
        throw new CliError("BAD_ARGUMENT", "--side must be buy or sell");
      const keys = loadKey(o.key, o.passphrase);
      const so = signOrder(
        {
          account: bigintArg("account", o.account),
          market: Number(bigintArg("market", o.market)),
          side: o.side as Side,
          nonce: bigintArg("nonce", o.nonce),
          maxFeeBps: bigintArg("max-fee", o.maxFee),
          amount: bigintArg("amount", o.amount),
          limitPrice: bigintArg("price", o.price),
        },
        keys.privateKey,
        deployment(o.deployment).paramSet.markets,
        deployment(o.deployment).domain,
      );
      const r = await api(o.api, "POST", "/v1/orders", { ...so.order, signature: so.signature });
      print(
        out(),
        r,
        `order ${r.id}: ${r.status}, ${r.remaining} left${r.reason ? ` (${r.reason})` : ""}`,
      );
    });
}
