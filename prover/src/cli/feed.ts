import type { Command } from "commander";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { devOracleWallets, PriceFeeder, randomWalk } from "../service/feeder.ts";
import { bigintArg, print, type Output, deployment, DEFAULT_DEPLOYMENT } from "./common.ts";
import { DEFAULT_MARKS } from "../domain/market.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("feed")
    .description(
      "development price feeder: post oracle rounds signed by the INSECURE development signers (2 of 3)",
    )
    .option("--rounds <n>", "rounds to post", "1")
    .option("--interval <ms>", "time between rounds", "5000")
    .option("--prices <list>", "starting prices, comma-separated (default: the development marks)")
    .option("--walk <bps>", "random-walk step per round, basis points", "30")
    .option(
      "--eth-key <hex>",
      "Ethereum key that sends the rounds (default: the node's tenth account)",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .action(async (o: Record<string, string>) => {
      const a = deployment(o.deployment).addresses;
      const m = deployment(o.deployment).paramSet.markets;
      const start = o.prices
        ? o.prices.split(",").map((x) => bigintArg("prices", x.trim()))
        : DEFAULT_MARKS.slice(0, m);
      const provider = new JsonRpcProvider(o.rpc);
      const submitter: Signer = o.ethKey
        ? new Wallet(o.ethKey, provider)
        : await provider.getSigner(9);
      const feeder = new PriceFeeder(
        a.oracle,
        submitter,
        devOracleWallets(3),
        2,
        randomWalk(start, Number(o.walk), Date.now() % 1000),
      );
      const n = Number(bigintArg("rounds", o.rounds));
      for (let i = 0; i < n; i++) {
        const r = await feeder.postNext();
        print(
          out(),
          { roundId: r.roundId, prices: r.prices },
          `round ${r.roundId}: ${r.prices.join(", ")}`,
        );
        if (i + 1 < n) await new Promise((res) => setTimeout(res, Number(o.interval)));
      }
      provider.destroy();
    });
}
