import type { Command } from "commander";
import { signCompartmentMove } from "../domain/compartment-moves.ts";
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
  const fund = program
    .command("fund")
    .description("the insurance fund owner's commands: its capital per market (compartments)");
  fund
    .command("move")
    .description(
      "sign a move of the insurance fund's capital between its reserve and one market's compartment (the compartment pays that market's liquidation losses, and only those); proven in the next liquidation batch",
    )
    .requiredOption("--key <file>", "keystore of the insurance fund's owner key")
    .requiredOption("--market <n>", "the market whose compartment receives (or gives) the capital")
    .requiredOption("--amount <units>", "collateral units")
    .requiredOption(
      "--nonce <n>",
      "the fund's withdrawal nonce (moves and the fund's withdrawals share it)",
    )
    .option(
      "--to-reserve",
      "out of the compartment into the reserve (only what it holds above its position's maintenance requirement)",
    )
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .option("--deployment <file>", "deployment file (its domain is signed)", DEFAULT_DEPLOYMENT)
    .action(async (o: Record<string, string | boolean>) => {
      const s = (k: string) => o[k] as string;
      const d = deployment(s("deployment"));
      const keys = loadKey(s("key"), o.passphrase as string | undefined);
      const sm = signCompartmentMove(
        {
          market: Number(bigintArg("market", s("market"))),
          nonce: bigintArg("nonce", s("nonce")),
          amount: bigintArg("amount", s("amount")),
          toReserve: o.toReserve === true,
        },
        d.markets.length,
        keys.privateKey,
        d.domain,
      );
      const m = sm.move;
      const r = await api(o.api as string, "POST", "/v1/fund/moves", {
        ...m,
        signature: sm.signature,
      });
      const way = m.toReserve
        ? `from market ${m.market}'s compartment to the reserve`
        : `from the reserve into market ${m.market}'s compartment`;
      print(
        out(),
        r,
        `compartment move ${r.id} accepted: ${m.amount} ${way}, once its liquidation batch settles`,
      );
    });
}
