import type { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { FundingClient } from "../chain/funding.ts";
import { CliError, DEFAULT_DEPLOYMENT, deployment, EXIT, print, type Output } from "./common.ts";
import { isoTime } from "./escape-common.ts";

/** How many of the latest ticks `zkclear funding` lists (GET /v1/funding shows as many). */
const TICKS_SHOWN = 24;

/**
 * `zkclear funding`: where funding stands, read from the chain alone (no service needed):
 * the Funding contract's interval and cap, each market's last rate and current index, the
 * last ticks with their rates, and when the next tick may come.
 */
export function register(program: Command, out: () => Output): void {
  program
    .command("funding")
    .description("funding rates, indices and the next tick, from the chain")
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .action(async (o: { rpc: string; deployment: string }) => {
      const d = deployment(o.deployment);
      const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: false });
      try {
        let chainId: bigint;
        try {
          chainId = (await provider.getNetwork()).chainId;
        } catch (e) {
          throw new CliError(
            "RPC_UNREACHABLE",
            `cannot reach ${o.rpc}: ${(e as Error).message}`,
            EXIT.refused,
          );
        }
        if (chainId !== d.chainId)
          throw new CliError(
            "DEPLOYMENT_CHAIN_MISMATCH",
            `${o.rpc} is chain ${chainId}, the deployment ${o.deployment} is on chain ${d.chainId}`,
          );
        const f = new FundingClient(d.addresses.funding, provider);
        const params = await f.params();
        const current = (await f.ticks((await f.tickCount()) - 1))[0];
        const ticks = (await f.tickEvents()).slice(-TICKS_SHOWN);
        const nextTickTime = await f.nextTickTime();
        const block = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
          timestamp: string;
        };
        const chainTime = BigInt(block.timestamp);
        const ratesPpm = ticks.at(-1)?.ratesPpm ?? current.indices.map(() => 0n);
        const wait = nextTickTime > chainTime ? `in ${nextTickTime - chainTime} s` : "due now";
        print(
          out(),
          {
            interval: params.interval,
            maxRatePpm: params.maxRatePpm,
            tick: current.tick,
            fromRound: current.fromRound,
            indices: current.indices,
            ratesPpm,
            nextTickTime,
            chainTime,
            ticks: ticks.map((t) => ({
              tick: t.tick,
              fromRound: t.fromRound,
              priceRound: t.priceRound,
              ratesPpm: t.ratesPpm,
              indices: t.indices,
              txHash: t.txHash,
            })),
          },
          [
            `funding: a tick at most every ${params.interval} s, |rate| at most ${params.maxRatePpm} ppm; ${current.tick} tick(s) so far`,
            ...current.indices.map(
              (x, j) =>
                `  market ${j}: last rate ${ratesPpm[j]} ppm (positive: longs pay), index ${x} (2^-20 quote units per lot, from round ${current.fromRound})`,
            ),
            ...ticks.map(
              (t) =>
                `  tick ${t.tick} at round ${t.priceRound}'s prices: rates ${t.ratesPpm.join(", ")} ppm, indices ${t.indices.join(", ")}`,
            ),
            `next tick: from ${isoTime(nextTickTime)} (${wait} of chain time), once oracle round ${current.fromRound} or a later one is posted`,
          ].join("\n"),
        );
      } finally {
        provider.destroy();
      }
    });
}
