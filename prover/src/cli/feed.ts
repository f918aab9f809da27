import type { Command } from "commander";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { devOracleWallets, PriceFeeder, randomWalk } from "../service/feeder.ts";
import {
  bigintArg,
  CliError,
  print,
  type Output,
  deployment,
  DEFAULT_DEPLOYMENT,
} from "./common.ts";

/** How many development signers feed looks among for the deployment's signers (MAX_SIGNERS). */
const DEV_ORACLE_SEARCH = 16;
import { DEFAULT_MARKS } from "../domain/market.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("feed")
    .description(
      "development price feeder: post oracle rounds signed by the deployment's quorum of INSECURE development signers",
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
      const dep = deployment(o.deployment);
      const a = dep.addresses;
      const m = dep.paramSet.markets;
      // the development signers the deployment names (deploy's default: 3 of 5)
      const named = new Set(dep.oracle.signers.map((s) => s.toLowerCase()));
      const wallets = devOracleWallets(DEV_ORACLE_SEARCH).filter((w) =>
        named.has(w.address.toLowerCase()),
      );
      if (wallets.length < dep.oracle.quorum)
        throw new CliError(
          "BAD_ARGUMENT",
          `the deployment's oracle needs ${dep.oracle.quorum} reports and only ${wallets.length} of its signers are development signers: feed posts rounds for development deployments only`,
        );
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
        wallets,
        dep.oracle.quorum,
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
