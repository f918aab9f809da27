import type { Trade } from "../domain/batch.ts";
import { ZkClearError } from "../domain/errors.ts";
import { addFlows, fundingRates, marketFlows } from "../domain/funding-rate.ts";
import type { FundingPort, FundingStatus, FundingTickView, Round } from "../domain/ports.ts";
import type { Store } from "../store/store.ts";
import { OperatorError, type BatchBody } from "./context.ts";

/** What the service shows of funding (GET /v1/funding, /metrics). */
export interface FundingView extends FundingStatus {
  /** The last refusal of a tick, while ticks keep being refused: its code and message. */
  readonly refused: { readonly code: string; readonly message: string } | null;
}

/** How long after a refused tick the next try waits, ms (doubling, up to MAX_RETRY_MS). */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/**
 * The operator's funding ticks. At each step (after the pipeline, never while a batch
 * transaction of the operator is in flight, so the chain order is the one the window was
 * read in) it reads the Funding contract; once the next tick time has come and an oracle
 * round was posted since the last tick's fromRound, it computes every market's rate by the
 * rule (domain/funding-rate.ts): the trades of the trade batches settled on-chain since the
 * last FundingTicked event (their data from the store, matched by new root), against the
 * latest round's prices, capped by maxRatePpm; then ticks. A refused tick is logged with its
 * code and tried again later (backoff); nothing is kept but the view: after a restart the
 * chain says where funding stands.
 */
export class FundingTicker {
  private viewed: FundingView | undefined;
  private refused: FundingView["refused"] = null;
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly port: FundingPort,
    private readonly store: Store,
    private readonly markets: number,
    private readonly log: (s: string) => void,
  ) {}

  /** The funding state as last read from the chain (undefined before the first read). */
  get view(): FundingView | undefined {
    return this.viewed;
  }

  /**
   * Reads the Funding contract and ticks when due. `latestRound` reads the oracle's latest
   * round (the one the tick reads); `inFlight`, whether a batch transaction is sent and not
   * mined.
   */
  async step(
    latestRound: () => Promise<Round | undefined>,
    inFlight: boolean,
  ): Promise<FundingTickView | undefined> {
    const s = await this.port.status();
    this.viewed = { ...s, refused: this.refused };
    // the chain's time, or the wall clock's on a chain that mines only on demand (the
    // contract judges at the tick's block; too soon is a refusal, tried again later)
    const now = BigInt(Math.floor(Date.now() / 1000));
    const time = s.chainTime > now ? s.chainTime : now;
    if (inFlight || Date.now() < this.retryAt || time < s.nextTickTime) return undefined;
    const latest = await latestRound();
    if (!latest || latest.roundId < s.current.fromRound) return undefined;
    const window = await this.windowTrades();
    const trades = window.flatMap((b) => b.trades);
    const rates = fundingRates(
      window.reduce(
        (flows, b) => addFlows(flows, marketFlows(b.trades, b.marks, s.maxRatePpm)),
        marketFlows([], latest.prices.slice(0, this.markets), s.maxRatePpm),
      ),
    );
    let t: FundingTickView;
    try {
      t = await this.port.tick(rates);
    } catch (e) {
      if (!(e instanceof ZkClearError)) throw e; // the node: the operator's step retries
      this.failures++;
      this.retryAt = Date.now() + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.failures - 1));
      this.refused = { code: e.code, message: e.message };
      this.viewed = { ...s, refused: this.refused };
      this.log(
        `funding tick refused (${e.code}), trying again in ${this.retryAt - Date.now()} ms: ${e.message}`,
      );
      return undefined;
    }
    this.failures = 0;
    this.retryAt = 0;
    this.refused = null;
    if (t.priceRound !== latest.roundId)
      this.log(
        `funding tick ${t.tick}: WARNING the rates were computed at round ${latest.roundId}'s prices, the tick read round ${t.priceRound}'s`,
      );
    this.log(
      `funding tick ${t.tick} from round ${t.fromRound}: ${trades.length} trade(s) in the window, rates ${t.ratesPpm.join(", ")} ppm, indices ${t.indices.join(", ")}`,
    );
    this.viewed = { ...(await this.port.status()), refused: null };
    return t;
  }

  /**
   * The window: the trade batches settled since the last tick, in chain order, each with the
   * marks it was proven at (the rule weighs each trade's premium over its batch's mark).
   */
  private async windowTrades(): Promise<{ trades: readonly Trade[]; marks: readonly bigint[] }[]> {
    const batches: { trades: readonly Trade[]; marks: readonly bigint[] }[] = [];
    for (const root of await this.port.tradeRootsSinceTick()) {
      const id = this.store.batchReaching(root, 0);
      const b = id === undefined ? undefined : this.store.getBatch<BatchBody>(id);
      if (!b || b.status !== "settled" || b.body.kind !== "trades")
        throw new OperatorError(
          "FUNDING_WINDOW_UNKNOWN",
          `a trade batch settled on-chain at root ${root} is not a settled trade batch of this store: the funding window cannot be read`,
        );
      batches.push({ trades: b.body.trades, marks: b.body.marks });
    }
    return batches;
  }
}
