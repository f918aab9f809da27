import { BPS_DENOMINATOR, FIRST_USER_ACCOUNT } from "../domain/constants.ts";
import type { Account } from "../domain/account.ts";
import { equity, scaledRequirement } from "../domain/margin.ts";
import type { MarketParams } from "../domain/market.ts";
import { settleFunding } from "../domain/funding.ts";
import {
  planDeleverage,
  rankOpposing,
  type Deleveraged,
  type Deleveraging,
  type RankedPosition,
} from "../domain/deleveraging.ts";
import type { DeleverageEntryInput, DeleverageInput } from "../domain/deleverage-inputs.ts";
import type { LeafSlotFields } from "../domain/inputs.ts";
import type { ExchangeState } from "./state.ts";
import { LiquidatorError } from "./liquidators.ts";
import { emptyLeafWitness, leafWitness, plainLeaf } from "./leaf-witness.ts";

/**
 * Auto-deleveraging in a liquidation batch: the twin of Deleverage and DeleverageEntry
 * (circuits/src/auto-deleverage.circom), rules in docs/isolation.md section 3.
 */

/**
 * A deleveraging other than the ranking's (liquidate's `unchecked`): a dishonest
 * operator's, for adversarial tests (other markets, another order of the ranking, other
 * lots per entry), or a published one replayed (engine/skip-proof.ts: a batch file's
 * entries, watching the tree as each market's entries start).
 */
export interface ForgedDeleverage {
  readonly markets?: readonly number[];
  readonly ranking?: (
    r: (RankedPosition & { score: bigint })[],
  ) => (RankedPosition & { score: bigint })[];
  readonly lots?: (examined: readonly Deleveraged[], market: number) => Deleveraged[];
  /** Called as market j's entries start, with the tree they start from. */
  readonly atMarketStart?: (market: number, state: ExchangeState) => void;
}

/** What a batch's deleveraging did: its records, its circuit input and the fund after it. */
export interface FundDeleveraging {
  /** The published records, one per deleveraged market, ascending (empty: none). */
  readonly deleveraged: readonly Deleveraging[];
  readonly input: DeleverageInput;
  readonly fund: Account;
}

/**
 * The ranking of the positions opposing the fund's in market j, on the tree as it stands
 * (after the batch's liquidations and earlier entries): every user account with a position
 * on the other side, after its funding at `indices`, with equity above 0 and at or above
 * maintenance at the round's liquidation rates (`liquidatable`), in the published strict
 * order.
 */
export function deleverageRanking(
  state: ExchangeState,
  market: number,
  fundLong: boolean,
  marks: readonly bigint[],
  indices: readonly bigint[],
  liquidatable: readonly MarketParams[],
): (RankedPosition & { score: bigint })[] {
  const positions: RankedPosition[] = [];
  for (const [index, stored] of state.entries()) {
    if (index < FIRST_USER_ACCOUNT) continue;
    const a = settleFunding(stored, indices).account;
    const p = a.positions[market];
    if (p.size === 0n) continue;
    const e = equity(a, marks);
    positions.push({
      account: index,
      size: p.size,
      result: p.size * marks[market] - p.notional,
      equity: e,
      surplus: BPS_DENOMINATOR * e - scaledRequirement(a, marks, liquidatable, "maintenance"),
    });
  }
  return rankOpposing(positions, fundLong, marks[market], (p) => p.surplus >= 0n);
}

/**
 * Whether deleveraging market j now would close at least one lot: the fund holds a
 * position there, its compartment is under water by `deficit`, and a ranked position can
 * afford a lot at the bankruptcy price. The batcher cuts a liquidation batch with no
 * liquidation for a compartment left under water only when one can (such a batch would
 * change nothing otherwise); every liquidation batch deleverages it anyway.
 */
export function deleverageable(
  state: ExchangeState,
  fund: Account,
  market: number,
  deficit: bigint,
  marks: readonly bigint[],
  indices: readonly bigint[],
  liquidatable: readonly MarketParams[],
): boolean {
  const held = fund.positions[market].size;
  if (held === 0n || deficit <= 0n) return false;
  const ranking = deleverageRanking(state, market, held > 0n, marks, indices, liquidatable);
  if (ranking.length === 0) return false;
  const plan = planDeleverage(
    ranking,
    held > 0n,
    marks[market],
    liquidatable[market].maintenanceMarginBps,
    held > 0n ? held : -held,
    deficit,
    1,
  );
  return plan.examined.length > 0;
}

/** No deleveraging: Deleverage's inputs all 0, its A entries padding. */
export function noDeleverage(state: ExchangeState, slots: number): DeleverageInput {
  return {
    market: Array<bigint>(state.marketCount).fill(0n),
    entries: Array.from({ length: slots }, () => paddingEntry(state)),
  };
}

function paddingEntry(state: ExchangeState): DeleverageEntryInput {
  return entryInput(0n, Array<bigint>(state.marketCount).fill(0n), 0n, emptyLeafWitness(state));
}

/** An entry's circuit input from its account's leaf witness (engine/leaf-witness.ts). */
function entryInput(
  enabled: bigint,
  market: readonly bigint[],
  account: bigint,
  w: LeafSlotFields,
): DeleverageEntryInput {
  return { enabled, market, account, ...plainLeaf(w) };
}

/** Where the batch deleverages: the markets (ascending) and their compartments' deficits. */
export interface DeleverageTarget {
  readonly market: number;
  /** -C_j after the batch's charges, > 0. */
  readonly deficit: bigint;
}

/**
 * Closes the fund's position in each target market, whose compartment is under water,
 * against that market's ranking at its bankruptcy price, with at most `slots` entries in
 * all (markets ascending; a market left without entries keeps its lots for a later batch).
 * An entry that cannot afford a lot is passed over (planDeleverage). Each entry settles its
 * funding and closes the lots it takes at the price (a position
 * reaching 0 realises its notional into collateral, as a trade's does); the fund takes the
 * other side. Where the fund holds no position there is nothing to close: the record has
 * price 0 and no entry, and the deficit stays. `write` stores each entry's new leaf;
 * `funding` collects their funding payments. `fund` is the fund after the batch's
 * liquidations and charges; the result's `fund` has the closed lots applied.
 */
export function deleverageFund(
  state: ExchangeState,
  fund: Account,
  targets: readonly DeleverageTarget[],
  marks: readonly bigint[],
  indices: readonly bigint[],
  liquidatable: readonly MarketParams[],
  slots: number,
  write: (index: bigint, a: Account) => void,
  funding: Map<bigint, bigint>,
  forge: ForgedDeleverage = {},
): FundDeleveraging {
  const entries: DeleverageEntryInput[] = [];
  const deleveraged: Deleveraging[] = [];
  let positions = fund.positions;
  for (const { market, deficit } of targets) {
    const held = positions[market].size;
    const fundLong = held > 0n;
    const lots = fundLong ? held : -held;
    // the root this market's entries start from (the fund's leaf is written after them)
    const root = state.root;
    forge.atMarketStart?.(market, state);
    if (lots === 0n) {
      deleveraged.push({ market, price: 0n, fundSize: 0n, root, entries: [] });
      continue;
    }
    const ranked = deleverageRanking(state, market, fundLong, marks, indices, liquidatable);
    const honest = planDeleverage(
      forge.ranking ? forge.ranking(ranked) : ranked,
      fundLong,
      marks[market],
      liquidatable[market].maintenanceMarginBps,
      lots,
      deficit,
      slots - entries.length,
    );
    const examined = forge.lots ? forge.lots(honest.examined, market) : honest.examined;
    const dir = fundLong ? 1n : -1n;
    for (const e of examined) {
      entries.push(
        entryInput(
          1n,
          marks.map((_, j) => (j === market ? 1n : 0n)),
          e.account,
          leafWitness(state, e.account),
        ),
      );
      const settled = settleFunding(state.getAccount(e.account), indices);
      if (settled.owed !== 0n)
        funding.set(e.account, (funding.get(e.account) ?? 0n) + settled.payment);
      const a = settled.account;
      const p = a.positions[market];
      const delta = dir * e.lots;
      const size = p.size + delta;
      const notional = p.notional + delta * honest.price;
      const realised = size === 0n ? notional : 0n;
      write(e.account, {
        ...a,
        collateral: a.collateral - realised,
        positions: a.positions.map((q, j) =>
          j === market ? { ...q, size, notional: notional - realised } : q,
        ),
      });
    }
    const placed = examined.reduce((n, e) => n + e.lots, 0n);
    positions = positions.map((q, j) =>
      j === market
        ? {
            ...q,
            size: q.size - dir * placed,
            notional: q.notional - dir * placed * honest.price,
          }
        : q,
    );
    deleveraged.push({ market, price: honest.price, fundSize: held, root, entries: examined });
  }
  const chosen = new Set(targets.map((t) => t.market));
  return {
    deleveraged,
    input: {
      market: marks.map((_, j) => (chosen.has(j) ? 1n : 0n)),
      entries: [
        ...entries,
        ...Array.from({ length: slots - entries.length }, () => paddingEntry(state)),
      ],
    },
    fund: { ...fund, positions },
  };
}

/**
 * The markets the batch deleverages, ascending, with their deficits. Every market whose
 * compartment the batch's charges take below both 0 and where it started is deleveraged,
 * and so is every market still under water from an earlier batch where the fund holds a
 * position, whether or not a lot would close (LiquidateBatch requires both: the head is in
 * the commitment, so a skip proof can show an account the ranking left out). No liquidator
 * may take a position in a deleveraged market (LIQUIDATOR_IN_DELEVERAGED_MARKET: the
 * batcher then lets the fund take every position): its share would be paid by the
 * deleveraged traders, and a take must not excuse a market from its deleveraging.
 */
export function deleveragedMarkets(
  fund: Account,
  before: readonly bigint[],
  charges: readonly (readonly bigint[])[],
  takenIn: (j: number) => boolean,
  accounts: readonly bigint[],
): DeleverageTarget[] {
  const after = before.map((c, j) => c + charges.reduce((s, row) => s + row[j], 0n));
  const targets: DeleverageTarget[] = [];
  after.forEach((c, j) => {
    if (c >= 0n) return;
    const needed = c < (before[j] < 0n ? before[j] : 0n);
    const leftover = fund.positions[j].size !== 0n;
    if ((needed || leftover) && takenIn(j)) {
      const i = charges.reduce((last, row, k) => (row[j] < 0n ? k : last), -1);
      throw new LiquidatorError(
        "LIQUIDATOR_IN_DELEVERAGED_MARKET",
        `market ${j}'s compartment is under water (by ${-c} after the batch's charges) and is deleveraged, so no liquidator may take a position there (its share would be paid by the deleveraged traders); account ${accounts[i < 0 ? 0 : i]}'s liquidator does`,
      );
    }
    if (needed || leftover) targets.push({ market: j, deficit: -c });
  });
  return targets;
}
