import { createHash } from "node:crypto";
import { Contract, Wallet, type Signer } from "ethers";
import { loadArtifact } from "../chain/artifacts.ts";
import { signReport, submitRoundArgs } from "../chain/oracle-reports.ts";

/**
 * A development price feeder: a local k-of-n set of oracle signers (INSECURE keys derived
 * from public labels) that posts rounds along a price path.
 */
export function devOracleWallets(n: number): Wallet[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new Wallet(`0x${createHash("sha256").update(`zkclear-insecure-oracle-${i}`).digest("hex")}`),
  );
}

/** A price path: the prices of round `k` (k = 1, 2, ...). */
export type PricePath = (round: number) => bigint[];

/** A deterministic random walk from `start`, each step at most `stepBps` basis points. */
export function randomWalk(start: readonly bigint[], stepBps: number, seed = 1): PricePath {
  const cache: bigint[][] = [[...start]];
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 20001) / 10000 - 1; // [-1, 1]
  };
  return (k) => {
    while (cache.length < k) {
      const prev = cache[cache.length - 1];
      cache.push(prev.map((p) => p + (p * BigInt(Math.round(rnd() * stepBps))) / 10_000n));
    }
    return cache[k - 1];
  };
}

/** A fixed list of rounds; the last one repeats. */
export function scriptedPath(rounds: readonly (readonly bigint[])[]): PricePath {
  return (k) => [...rounds[Math.min(k, rounds.length) - 1]];
}

export class PriceFeeder {
  private readonly oracle: Contract;
  /** The timestamp of the last round this feeder posted. */
  private last = 0n;

  constructor(
    oracleAddress: string,
    submitter: Signer,
    private readonly signers: readonly Wallet[],
    private readonly quorum: number,
    private readonly path: PricePath,
  ) {
    this.oracle = new Contract(oracleAddress, loadArtifact("PriceOracle").abi, submitter);
  }

  /**
   * Posts the next round, signed by `quorum` of the signers. Returns its id and prices. Its
   * reports carry the latest block's timestamp, or one second after the previous round's if
   * that is later: round timestamps must increase (and ethers may answer "latest" from a
   * 250 ms cache); the block that takes the round is later than both.
   */
  async postNext(): Promise<{ roundId: bigint; prices: bigint[] }> {
    const provider = this.oracle.runner!.provider!;
    const [latestId, latestTime] = (await this.oracle.getFunction("latestRound")()) as [
      bigint,
      bigint,
    ];
    const roundId = BigInt(latestId) + 1n;
    const prices = this.path(Number(roundId));
    const block = await provider.getBlock("latest");
    const chainId = (await provider.getNetwork()).chainId;
    const previous = BigInt(latestTime) > this.last ? BigInt(latestTime) : this.last;
    const now = BigInt(block!.timestamp);
    const timestamp = now > previous ? now : previous + 1n;
    const signed = await Promise.all(
      this.signers
        .slice(0, this.quorum)
        .map((w) =>
          signReport(w, this.oracle.target as string, chainId, { roundId, timestamp, prices }),
        ),
    );
    await (
      await this.oracle.getFunction("submitRound")(...submitRoundArgs(roundId, signed))
    ).wait();
    this.last = timestamp;
    return { roundId, prices };
  }
}
