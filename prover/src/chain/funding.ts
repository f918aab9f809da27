import { Contract, type ContractRunner, type Interface } from "ethers";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import type { FundingTickView } from "../domain/ports.ts";
import { loadArtifact } from "./artifacts.ts";
import { transient } from "./client.ts";

/**
 * The Funding contract (contracts/Funding.sol) through ethers v6: its ticks (from the views
 * or from the FundingTicked events), the indices in effect at an oracle round, and `tick`,
 * the operator's call, whose refusals become FundingChainErrors with a code of their own.
 */
export class FundingChainError extends ZkClearError<CodeOf<"chain">> {}

/** One tick as Funding stores it (tick 0: deployment, every index 0, from round 0). */
export interface FundingTick {
  readonly tick: number;
  /** The first oracle round whose binding folds these indices in. */
  readonly fromRound: bigint;
  /** block.timestamp / interval when it was made. */
  readonly period: bigint;
  /** One per market, 2^-20 quote units per lot. */
  readonly indices: readonly bigint[];
  /** Poseidon(M)(I_j + 2^63) (domain/funding.ts fundingHash). */
  readonly fundingHash: bigint;
}

/** A FundingTicked event and where it sits in the chain (block, then log index). */
export interface FundingTickEvent extends FundingTickView {
  readonly block: number;
  readonly logIndex: number;
}

/** A tick the chain took, and its gas. */
export interface TickReceipt extends FundingTickView {
  readonly gasUsed: bigint;
}

/** A FundingTicked event's arguments as the tick they record. */
function tickOf(args: Record<string, unknown>, txHash: string): FundingTickView {
  return {
    tick: Number(args.tick),
    fromRound: BigInt(args.fromRound as bigint),
    priceRound: BigInt(args.priceRound as bigint),
    ratesPpm: [...(args.ratesPpm as bigint[])].map(BigInt),
    indices: [...(args.indices as bigint[])].map(BigInt),
    txHash,
  };
}

/**
 * Funding.sol's refusals of a tick, by custom error name (IFunding's rules 1-9), and the
 * code each becomes. Frozen and paused are Settlement's states, with Settlement's codes.
 */
export const TICK_REFUSALS = {
  AccessControlUnauthorizedAccount: "FUNDING_NOT_OPERATOR",
  ExchangeFrozen: "SETTLEMENT_FROZEN",
  ContractPaused: "SETTLEMENT_PAUSED",
  RateCountMismatch: "FUNDING_RATE_COUNT",
  RateAboveCap: "FUNDING_RATE_ABOVE_CAP",
  FundingTooSoon: "FUNDING_TOO_SOON",
  StalePrices: "FUNDING_STALE_PRICES",
  NoRoundSinceTick: "FUNDING_NO_ROUND",
  IndexOutOfRange: "FUNDING_INDEX_OUT_OF_RANGE",
} as const satisfies Record<string, CodeOf<"chain">>;

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** The tick in effect at `roundId`: the last with fromRound <= roundId (ticks in order). */
export function tickInEffect<T extends { readonly fromRound: bigint }>(
  ticks: readonly T[],
  roundId: bigint,
): T {
  let lo = 0;
  let hi = ticks.length;
  // ticks[lo].fromRound <= roundId, and ticks[hi] (if any) is after it
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ticks[mid].fromRound <= roundId) lo = mid;
    else hi = mid;
  }
  const t = ticks[lo];
  if (!t || t.fromRound > roundId)
    throw new FundingChainError(
      "FUNDING_REFUSED",
      `no funding tick is in effect at round ${roundId} (tick 0 is from round 0)`,
    );
  return t;
}

export class FundingClient {
  readonly contract: Contract;

  constructor(address: string, runner: ContractRunner) {
    this.contract = new Contract(address, loadArtifact("Funding").abi, runner);
  }

  /** The Funding contract a Settlement created (Settlement.funding()). */
  static async of(settlement: Contract, runner: ContractRunner): Promise<FundingClient> {
    return new FundingClient(String(await settlement.getFunction("funding")()), runner);
  }

  private async call<T>(name: string, ...args: unknown[]): Promise<T> {
    return (await this.contract.getFunction(name)(...args)) as T;
  }

  /** The immutables: seconds per period, the cap on |rate| (ppm), markets, price age. */
  async params(): Promise<{
    interval: bigint;
    maxRatePpm: bigint;
    marketCount: number;
    maxPriceAge: bigint;
  }> {
    return {
      interval: BigInt(await this.call<bigint>("interval")),
      maxRatePpm: BigInt(await this.call<bigint>("maxRatePpm")),
      marketCount: Number(await this.call<bigint>("marketCount")),
      maxPriceAge: BigInt(await this.call<bigint>("maxPriceAge")),
    };
  }

  async tickCount(): Promise<number> {
    return Number(await this.call<bigint>("tickCount"));
  }

  async tickAt(i: number): Promise<FundingTick> {
    const [fromRound, period, indices, fundingHash] = await this.call<
      [bigint, bigint, bigint[], bigint]
    >("tickAt", i);
    return {
      tick: i,
      fromRound: BigInt(fromRound),
      period: BigInt(period),
      indices: [...indices].map(BigInt),
      fundingHash: BigInt(fundingHash),
    };
  }

  /** Every tick from `from` on, read from the views. */
  async ticks(from = 0): Promise<FundingTick[]> {
    const n = await this.tickCount();
    const out: FundingTick[] = [];
    for (let i = from; i < n; i++) out.push(await this.tickAt(i));
    return out;
  }

  /** The FundingTicked events of blocks `fromBlock` to `toBlock` (default: latest), in tick order. */
  async tickEvents(fromBlock = 0, toBlock?: number): Promise<FundingTickEvent[]> {
    const events = await this.contract.queryFilter(
      this.contract.filters.FundingTicked(),
      fromBlock,
      toBlock,
    );
    return events
      .filter((e) => "args" in e)
      .map((e) => ({
        ...tickOf((e as unknown as { args: Record<string, unknown> }).args, e.transactionHash),
        block: e.blockNumber,
        logIndex: e.index,
      }))
      .sort((x, y) => x.tick - y.tick);
  }

  /** The indices in effect at oracle round `roundId` (what its binding folds in). */
  async indicesAt(roundId: bigint): Promise<bigint[]> {
    return [...(await this.call<bigint[]>("indicesOf", roundId))].map(BigInt);
  }

  /** fundingHash of the indices in effect at `roundId`. */
  async hashAt(roundId: bigint): Promise<bigint> {
    return BigInt(await this.call<bigint>("hashOf", roundId));
  }

  /** When (unix seconds) the next tick may come (a new oracle round is needed too). */
  async nextTickTime(): Promise<bigint> {
    return BigInt(await this.call<bigint>("nextTickTime"));
  }

  /**
   * Ticks: every market's index moves by trunc(ratesPpm[j] * price * 2^20 / 10^6) at the oracle's latest
   * round, from the next round on. The contract is asked first (gas estimate), so a tick it
   * would refuse is a FundingChainError naming the rule (TICK_REFUSALS) and no transaction
   * is sent; a node that does not answer is ethers' error, as it is.
   */
  async tick(ratesPpm: readonly bigint[]): Promise<TickReceipt> {
    ratesPpm.forEach((r, j) => {
      if (r < INT32_MIN || r > INT32_MAX)
        throw new FundingChainError(
          "FUNDING_RATE_ABOVE_CAP",
          `the funding rate of market ${j}, ${r} ppm, is not even an int32 (the cap is at most 100000 ppm)`,
        );
    });
    const f = this.contract.getFunction("tick");
    const rates = [...ratesPpm];
    let gasLimit: bigint;
    try {
      gasLimit = ((await f.estimateGas(rates)) * 12n) / 10n;
    } catch (e) {
      throw refusalOf(e, this.contract.interface);
    }
    const tx = await f(rates, { gasLimit });
    const receipt = await tx.wait();
    if (!receipt) throw new FundingChainError("NO_RECEIPT", "tick: the node returned no receipt");
    const ev = receipt.logs
      .map((l: { topics: string[]; data: string }) => this.contract.interface.parseLog(l))
      .find((x: { name: string } | null) => x?.name === "FundingTicked");
    if (!ev) throw new FundingChainError("FUNDING_REFUSED", "tick: no FundingTicked event");
    return { ...tickOf(ev.args, String(receipt.hash)), gasUsed: BigInt(receipt.gasUsed) };
  }
}

/** A failed tick estimate as a FundingChainError (a transient node error stays as it is). */
function refusalOf(e: unknown, iface: Interface): unknown {
  if (transient(e)) return e;
  const data = (e as { data?: string }).data;
  let parsed: ReturnType<Interface["parseError"]> = null;
  try {
    parsed = typeof data === "string" ? iface.parseError(data) : null;
  } catch {
    parsed = null;
  }
  if (!parsed)
    return new FundingChainError(
      "FUNDING_REFUSED",
      `tick: Funding refuses it (${(e as Error).message})`,
      { cause: e },
    );
  const code: CodeOf<"chain"> =
    (TICK_REFUSALS as Record<string, CodeOf<"chain">>)[parsed.name] ?? "FUNDING_REFUSED";
  const args = parsed.args.map(String).join(", ");
  return new FundingChainError(code, `tick: Funding refuses it (${parsed.name}(${args}))`, {
    cause: e,
  });
}
