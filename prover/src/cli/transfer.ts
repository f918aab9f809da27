import type { Command } from "commander";
import { signTransfer } from "../domain/sub-accounts.ts";
import {
  api,
  bigintArg,
  DEFAULT_DEPLOYMENT,
  deployment,
  loadKey,
  print,
  type Output,
} from "./common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("transfer")
    .description(
      "sign a transfer of collateral between two of your accounts (a cross account and its isolated sub-accounts); proven in a withdrawal batch, nothing leaves the Vault",
    )
    .requiredOption("--key <file>", "keystore (the key of both accounts)")
    .requiredOption("--from <n>", "the account paying")
    .requiredOption("--to <n>", "the account receiving: yours, existing")
    .requiredOption("--amount <units>", "collateral units")
    .requiredOption(
      "--nonce <n>",
      "the paying account's withdrawal nonce (transfers and withdrawals share it)",
    )
    .option(
      "--isolated <market>",
      "the receiving account is a sub-account isolated to this market (signed: the transfer is refused if it is not)",
    )
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .option("--deployment <file>", "deployment file (its domain is signed)", DEFAULT_DEPLOYMENT)
    .action(async (o: Record<string, string>) => {
      const d = deployment(o.deployment);
      const isolated =
        o.isolated === undefined ? undefined : Number(bigintArg("isolated", o.isolated));
      const keys = loadKey(o.key, o.passphrase);
      const st = signTransfer(
        {
          from: bigintArg("from", o.from),
          to: bigintArg("to", o.to),
          nonce: bigintArg("nonce", o.nonce),
          amount: bigintArg("amount", o.amount),
          ...(isolated === undefined ? {} : { isolatedMarket: isolated }),
        },
        d.markets.length,
        keys.privateKey,
        d.domain,
      );
      const t = st.transfer;
      const r = await api(o.api, "POST", "/v1/transfers", {
        from: t.from,
        to: t.to,
        nonce: t.nonce,
        amount: t.amount,
        ...(isolated === undefined ? {} : { isolatedMarket: isolated }),
        signature: st.signature,
      });
      print(
        out(),
        r,
        `transfer ${r.id} accepted: ${t.amount} from account ${t.from} to account ${t.to} once its batch settles (zkclear account shows both)`,
      );
    });
}
