import { BPS_DENOMINATOR } from "../domain/constants.ts";
import type { BatchDataOf } from "../domain/batch.ts";
import { liquidationCommitment } from "../domain/batch.ts";
import {
  deleverageTake,
  type Deleveraged,
  type Deleveraging,
  type RankedPosition,
} from "../domain/deleveraging.ts";
import type { ParamSet } from "../domain/params.ts";
import type { SkipEntry, SkipHead, SkippedDeleverageInput } from "../domain/skip-inputs.ts";
import { scaledMarkets } from "../domain/volatility.ts";
import type { ExchangeState } from "./state.ts";
import { liquidate, type LiquidationResult } from "./liquidations.ts";
import { LiquidatorError, liquidationRequests } from "./liquidators.ts";
import { deleverageRanking } from "./deleverage.ts";
import { leafWitness, plainLeaf } from "./leaf-witness.ts";

/**
 * Skip proofs: the twin of SkippedDeleverage (circuits/src/skip-deleverage.circom). A
 * liquidation batch's published deleveraging (its file's `deleveraged`) left out an
 * account when the account, on the tree its market's entries started from, is a candidate
 * the ranking had to list (a user account on the other side of the fund, equity above 0,
 * at or above maintenance, able to afford one lot at the batch's price), is not one of the
 * market's entries, and ranks above one of them, or lots were left unplaced there with
 * fewer than A entries in it and the markets before it. docs/isolation.md, section 3.
 */

type LiquidationsData = BatchDataOf<"liquidations">;

/** One market's tree as its published entries started, replayed from the batch file. */
interface MarketStart {
  readonly head: Deleveraging;
  /** The ranking on that tree (engine/deleverage.ts), the account's leaf witness. */
  readonly ranking: (RankedPosition & { score: bigint })[];
  readonly witness: (account: bigint) => ReturnType<typeof leafWitness>;
}

interface Replay {
  readonly result: LiquidationResult;
  readonly starts: ReadonlyMap<number, MarketStart>;
}

/**
 * Replays a settled liquidation batch from the state it was proven from (`before`, left as
 * it was), following its file's deleveraging rather than the ranking's, and keeps each
 * deleveraged market's ranking and leaves as its entries started. `watch`: the accounts
 * whose leaf witnesses to keep (every ranked account's is kept).
 */
function replay(
  before: ExchangeState,
  batch: LiquidationsData,
  p: ParamSet,
  watch: readonly bigint[],
): Replay {
  const list = batch.deleveraged ?? [];
  const liquidatable = scaledMarkets(before.markets, batch.margins, "liquidation");
  const starts = new Map<number, MarketStart>();
  const published = (market: number): Deleveraged[] => [
    ...(list.find((d) => d.market === market)?.entries ?? []),
  ];
  before.startJournal();
  try {
    const result = liquidate(
      before,
      liquidationRequests(batch.accounts, batch.takers),
      batch.marks,
      p.liquidations,
      {
        unchecked: true,
        move: batch.compartmentMove,
        deleverages: p.deleverages,
        forgeDeleverage: {
          markets: list.map((d) => d.market),
          lots: (_examined, market) => published(market),
          atMarketStart: (market, state) => {
            const head = list.find((d) => d.market === market);
            if (!head || head.fundSize === 0n) return;
            const ranking = deleverageRanking(
              state,
              market,
              head.fundSize > 0n,
              batch.marks,
              batch.fundingIndices,
              liquidatable,
            );
            const kept = new Map<bigint, ReturnType<typeof leafWitness>>();
            for (const a of [...watch, ...ranking.map((r) => r.account)])
              kept.set(a, leafWitness(state, a));
            starts.set(market, {
              head: { ...head, root: state.root },
              ranking,
              witness: (a) => kept.get(a) ?? leafWitness(state, a),
            });
          },
        },
      },
      batch.fundingIndices,
      batch.margins,
    );
    return { result, starts };
  } finally {
    before.rollback(before.stopJournal());
  }
}

const refuse = (code: ConstructorParameters<typeof LiquidatorError>[0], message: string) =>
  new LiquidatorError(code, message);

/** The published key within a market (Deleverage): score descending, account ascending. */
const ranksAbove = (a: { score: bigint; account: bigint }, b: { score: bigint; account: bigint }) =>
  a.score > b.score || (a.score === b.score && a.account < b.account);

/**
 * Why `account` is not a skipped one in `market` (a refusal), or null when it is: the
 * conditions SkippedDeleverage proves, judged on the market's start.
 */
function whyNotSkipped(
  start: MarketStart,
  batch: LiquidationsData,
  p: ParamSet,
  before: ExchangeState,
  account: bigint,
): LiquidatorError | null {
  const { head, ranking } = start;
  const market = head.market;
  const ranked = ranking.find((r) => r.account === account);
  if (!ranked)
    return refuse(
      "SKIP_NOT_ELIGIBLE",
      `account ${account} is not ranked in market ${market}: no position on the other side of the fund, equity not above 0, or below maintenance at the batch's liquidation rates`,
    );
  const mark = batch.marks[market];
  const liqMm = scaledMarkets(before.markets, batch.margins, "liquidation")[market];
  const long = head.fundSize > 0n;
  const cost =
    BPS_DENOMINATOR * (long ? head.price - mark : mark - head.price) -
    mark * liqMm.maintenanceMarginBps;
  const absSize = ranked.size < 0n ? -ranked.size : ranked.size;
  if (deleverageTake(1n, absSize, ranked.surplus, cost) < 1n)
    return refuse(
      "SKIP_NOT_ELIGIBLE",
      `account ${account} cannot afford a lot of market ${market} at the batch's price ${head.price}: it was rightly passed over`,
    );
  if (head.entries.some((e) => e.account === account))
    return refuse("SKIP_LISTED", `account ${account} is one of market ${market}'s entries`);
  const above = head.entries.some((e) => ranksAbove(ranked, e));
  // the slots this market could have used: A less those of the markets before it (a later
  // market's entries do not excuse lots left here; SkippedDeleverage's atOrBefore)
  const count = (batch.deleveraged ?? [])
    .filter((d) => d.market <= market)
    .reduce((n, d) => n + d.entries.length, 0);
  const placed = head.entries.reduce((n, e) => n + e.lots, 0n);
  const abs = long ? head.fundSize : -head.fundSize;
  const leftOver = placed < abs && count < p.deleverages;
  if (!above && !leftOver)
    return refuse(
      "SKIP_RANKED_BELOW",
      `account ${account} ranks below market ${market}'s last entry, and the batch placed every lot there or used all its ${p.deleverages} entries in it and the markets before it`,
    );
  return null;
}

/**
 * The accounts a settled liquidation batch's deleveraging left out, market by market (the
 * ranking's order): each has a skip proof (skipProofInput). Empty for an honest batch.
 */
export function skippedAccounts(
  before: ExchangeState,
  batch: LiquidationsData,
  p: ParamSet,
): { market: number; account: bigint }[] {
  const { starts } = replay(before, batch, p, []);
  const out: { market: number; account: bigint }[] = [];
  for (const [market, start] of starts)
    for (const r of start.ranking)
      if (whyNotSkipped(start, batch, p, before, r.account) === null)
        out.push({ market, account: r.account });
  return out;
}

/**
 * The input of a skip proof that `batch` (a settled liquidation batch's file data, proven
 * from `before`, which is left as it was) left out `account` in `market`. Refuses, with
 * the reason, an account that was not left out, and a batch file whose deleveraging its own
 * replay does not reproduce (SKIP_REPLAY_MISMATCH). `unchecked` (adversarial tests only):
 * builds the input for an account that was not left out, for the circuit to refuse.
 */
export function skipProofInput(
  before: ExchangeState,
  batch: LiquidationsData,
  p: ParamSet,
  account: bigint,
  market: number,
  opts: { unchecked?: boolean } = {},
): SkippedDeleverageInput {
  const list = batch.deleveraged ?? [];
  const published = list.find((d) => d.market === market);
  if (!published || published.fundSize === 0n)
    throw refuse(
      "SKIP_NOT_DELEVERAGED",
      `the batch deleverages no lots in market ${market} (it deleverages ${list.map((d) => d.market).join(", ") || "none"})`,
    );
  const { result, starts } = replay(before, batch, p, [account]);
  const start = starts.get(market);
  if (
    !start ||
    result.dataCommitment !== batch.dataCommitment ||
    start.head.root !== published.root
  )
    throw refuse(
      "SKIP_REPLAY_MISMATCH",
      `replaying the batch file from the given state does not give its commitment and market ${market}'s root: the state is not the one it was proven from, or the file is not the settled one`,
    );
  const why = opts.unchecked ? null : whyNotSkipped(start, batch, p, before, account);
  if (why) throw why;
  const m = before.marketCount;
  const heads: SkipHead[] = Array.from({ length: m }, (_, j) => {
    const d = list.find((x) => x.market === j);
    if (!d) return { enabled: 0n, lots: 0n, long: 0n, price: 0n, root: 0n };
    return {
      enabled: 1n,
      lots: d.fundSize < 0n ? -d.fundSize : d.fundSize,
      long: d.fundSize > 0n ? 1n : 0n,
      price: d.price,
      root: d.root,
    };
  });
  const entries: SkipEntry[] = list.flatMap((d) =>
    d.entries.map((e) => ({
      enabled: 1n,
      market: Array.from({ length: m }, (_, j) => (j === d.market ? 1n : 0n)),
      account: e.account,
      lots: e.lots,
      score: e.score,
    })),
  );
  while (entries.length < p.deleverages)
    entries.push({
      enabled: 0n,
      market: Array<bigint>(m).fill(0n),
      account: 0n,
      lots: 0n,
      score: 0n,
    });
  const i = result.input;
  return {
    dataCommitment: batch.dataCommitment,
    priceConfigHash: i.priceConfigHash,
    account,
    market: BigInt(market),
    marketParam: i.marketParam,
    domain: i.domain,
    fundFloor: i.fundFloor,
    margins: i.margins,
    mark: i.mark,
    fundingIndex: i.fundingIndex,
    chainIn: liquidationCommitment(batch.accounts, batch.takers ?? [], batch.compartmentMove),
    heads,
    entries,
    ...plainLeaf(start.witness(account)),
  };
}
