import type { Contract } from "ethers";
import type { KeyPair } from "../domain/keys.ts";
import { signOrder, type Side, type SignedOrder } from "../domain/order.ts";
import type { Account } from "../domain/account.ts";
import { isReduceOnly } from "../domain/breakers.ts";
import type { Deleveraging } from "../domain/deleveraging.ts";

/** What the demo's crash day showed (scripts/demo.ts prints it). */
export interface CrashDayReport {
  readonly roundId: bigint;
  readonly market: number;
  readonly from: bigint;
  readonly to: bigint;
  /** Until when (round time) the market is reduce-only (PriceOracle.breakerUntil). */
  readonly until: bigint;
  /** The service's answer to an order that would have increased a position there. */
  readonly refused: { readonly status: number; readonly body: string };
  /** Trades settled at the crash round: reducing ones in the tripped market, in the other. */
  readonly trades: readonly number[];
  /** The trade batch(es) settled at the crash round (proven with its reduce-only mask). */
  readonly batches: readonly number[];
  /**
   * The bankrupt long's liquidation at the crash round and the deleveraging that closed
   * what market 0's compartment could not pay: the liquidation batches at the round, each
   * deleveraged entry, and the fund's reserve and compartments (at the crash's marks)
   * before the round and after its liquidations.
   */
  readonly deleveraging: {
    readonly bankrupt: bigint;
    readonly batches: readonly number[];
    readonly entries: readonly {
      readonly batch: number;
      readonly account: bigint;
      readonly lots: bigint;
      readonly price: bigint;
    }[];
    readonly reserve: readonly [bigint, bigint];
    readonly compartments: readonly [readonly bigint[], readonly bigint[]];
  };
}

export interface CrashDayTrader {
  readonly keys: KeyPair;
  readonly account: bigint;
}

/** What the crash day needs of the demo around it. */
export interface CrashDayRig {
  readonly api: string;
  readonly markets: number;
  readonly domain: bigint;
  readonly oracle: Contract;
  readonly traders: readonly CrashDayTrader[];
  /** A trader long market 0 with little margin: the 40% fall makes it bankrupt. */
  readonly bankrupt: CrashDayTrader;
  account(index: bigint): Account;
  /** The insurance fund's reserve and compartments at `prices`. */
  fund(prices: readonly bigint[]): { reserve: bigint; compartments: bigint[] };
  /** The liquidation batches: id, status, round, accounts and deleveraging. */
  liquidationBatches(): {
    id: number;
    status: string;
    round: bigint;
    accounts: readonly bigint[];
    deleveraged: readonly Deleveraging[];
  }[];
  /** Posts an oracle round at `prices`; resolves with it once finalised. */
  postRound(prices: readonly bigint[]): Promise<{ roundId: bigint }>;
  /** The trade batches: id, status, round and each trade's market. */
  tradeBatches(): { id: number; round: bigint; status: string; markets: number[] }[];
  /** Resolves once every order, batch and deposit the service holds has settled. */
  drained(): Promise<void>;
  log(s: string): void;
}

/**
 * A crash day (issue 21): market 0 falls 40% in one oracle round, more than the breaker's
 * bound, so the oracle makes it reduce-only. A thin long there goes bankrupt beyond market
 * 0's insurance compartment: its liquidation empties the compartment and deleverages the
 * rest against the ranked shorts, while market 1's compartment and the fund's reserve stay
 * as they were. The service refuses an order that would add to a position in market 0,
 * settles trades that reduce positions there and trades in market 1 as before, all in
 * batches proven at the crash round (their proofs bind its mask).
 */
export async function crashDay(
  rig: CrashDayRig,
  prices: readonly bigint[],
): Promise<CrashDayReport> {
  const size = (t: CrashDayTrader) => rig.account(t.account).positions[0].size;
  if (size(rig.bankrupt) <= 0n) throw new Error("crash day: the thin long holds no long");
  const crash = prices.map((q, j) => (j === 0 ? (q * 60n) / 100n : q));
  const before = rig.fund(crash);
  const round = await rig.postRound(crash);
  const mask = BigInt(await rig.oracle.getFunction("roundReduceOnly")(round.roundId));
  if (!isReduceOnly(mask, 0)) throw new Error("crash day: the 40% move did not trip market 0");
  const until = BigInt(await rig.oracle.getFunction("breakerUntil")(0));
  rig.log(
    `crash day: oracle round ${round.roundId} moves market 0 from ${prices[0]} to ${crash[0]} (-40%): its circuit breaker trips, reduce-only until ${until}`,
  );
  await rig.drained(); // the service reads the round (and liquidates what the crash put under)
  const deleveraging = deleveragingAt(rig, round.roundId, before, crash);
  rig.log(
    `crash day: account ${rig.bankrupt.account} liquidated in batch ${deleveraging.batches.join(", ")}; market 0's compartment ${before.compartments[0]} -> ${deleveraging.compartments[1][0]}, deleveraging closed ${deleveraging.entries.map((e) => `${e.lots} lot(s) of account ${e.account} at ${e.price}`).join(", ")}; market 1's compartment ${before.compartments[1]} -> ${deleveraging.compartments[1][1]}, the reserve ${before.reserve} -> ${deleveraging.reserve[1]}`,
  );
  // the traders for the reduce-only trades, chosen once deleveraging has closed what it closed
  const long = rig.traders.find((t) => size(t) > 0n);
  const short = rig.traders.find((t) => size(t) < 0n);
  if (!long || !short) throw new Error("crash day: no trader is both long and short market 0");
  const [a, b] = rig.traders.filter((t) => t !== long && t !== short);
  if (!a || !b) throw new Error("crash day: needs two more traders for market 1");

  let nonce = 5_000n;
  const send = async (t: CrashDayTrader, market: number, side: Side, amount: bigint) => {
    nonce += 1n;
    const px = crash[market];
    const so: SignedOrder = signOrder(
      {
        account: t.account,
        market,
        side,
        nonce,
        maxFeeBps: 10n,
        amount,
        // buys bid a little above the mark, sells ask at it: they cross
        limitPrice: side === "buy" ? px + px / 1000n : px,
      },
      t.keys.privateKey,
      rig.markets,
      rig.domain,
    );
    const res = await fetch(`${rig.api}/v1/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...so.order, signature: so.signature }, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    });
    return { status: res.status, body: await res.text() };
  };

  // adding to the long is refused by the service (the circuit would refuse it too)
  const refused = await send(long, 0, "buy", 1n);
  if (refused.status !== 409 || !refused.body.includes("MARKET_REDUCE_ONLY"))
    throw new Error(
      `crash day: an increasing order was not refused: ${refused.status} ${refused.body}`,
    );
  rig.log(`crash day: an order adding to a long in market 0 is refused: ${refused.body}`);
  // the long sells and the short buys back: both reduce
  const qty = [size(long), -size(short), 1n].reduce((m, x) => (x < m ? x : m));
  const placed = [
    await send(long, 0, "sell", qty),
    await send(short, 0, "buy", qty),
    // market 1 is untouched: two traders open new positions there
    await send(a, 1, "sell", 2n),
    await send(b, 1, "buy", 2n),
  ];
  for (const r of placed)
    if (r.status !== 201) throw new Error(`crash day: an order was refused: ${r.body}`);
  await rig.drained();
  const settled = rig
    .tradeBatches()
    .filter((x) => x.round === round.roundId && x.status === "settled");
  const batches = settled.map((x) => x.id);
  const trades = Array.from(
    { length: rig.markets },
    (_, j) => settled.flatMap((x) => x.markets).filter((m) => m === j).length,
  );
  if (trades[0] === 0 || trades[1] === 0)
    throw new Error(`crash day: trades settled at the crash round by market: ${trades.join(", ")}`);
  rig.log(
    `crash day: ${trades[0]} reducing trade(s) in market 0 and ${trades[1]} in market 1 settled in batch ${batches.join(", ")}, proven at round ${round.roundId} with its reduce-only mask`,
  );
  return {
    roundId: round.roundId,
    market: 0,
    from: prices[0],
    to: crash[0],
    until,
    refused,
    trades,
    batches,
    deleveraging,
  };
}

/**
 * What the crash round's liquidations did: the bankrupt liquidated, market 0 deleveraged
 * (by one batch or several, each going on down the ranking), the reserve untouched.
 */
function deleveragingAt(
  rig: CrashDayRig,
  roundId: bigint,
  before: { reserve: bigint; compartments: bigint[] },
  crash: readonly bigint[],
): CrashDayReport["deleveraging"] {
  const at = rig.liquidationBatches().filter((b) => b.round === roundId);
  if (!at.some((b) => b.accounts.includes(rig.bankrupt.account) && b.status === "settled"))
    throw new Error("crash day: the bankrupt long was not liquidated at the crash round");
  const entries = at.flatMap((b) =>
    b.deleveraged
      .filter((m) => m.market === 0)
      .flatMap((m) =>
        m.entries.map((e) => ({ batch: b.id, account: e.account, lots: e.lots, price: m.price })),
      ),
  );
  if (entries.length === 0) throw new Error("crash day: nothing was deleveraged");
  if (at.some((b) => b.deleveraged.some((m) => m.market !== 0)))
    throw new Error("crash day: market 1 was deleveraged");
  const after = rig.fund(crash);
  if (after.reserve !== before.reserve)
    throw new Error(`crash day: the reserve moved: ${before.reserve} -> ${after.reserve}`);
  return {
    bankrupt: rig.bankrupt.account,
    batches: at.map((b) => b.id),
    entries,
    reserve: [before.reserve, after.reserve],
    compartments: [before.compartments, after.compartments],
  };
}
