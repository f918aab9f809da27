/**
 * Benchmark of the watcher's liquidator rule against a spammed offer book (issue 18, review
 * finding 5): one liquidation batch of the `bench` parameter set (L = 8 accounts, each long
 * BTC and short ETH, 4 markets) with 1k, 10k and 100k standing offers, almost all junk
 * (accounts without margin, discount 0 in every market, so they rank first) and 4 honest
 * liquidators. Per book, milliseconds per batch (median of the runs) of:
 *
 *   old rule         every standing offer filtered, ranked, sorted and margin-checked in rank
 *                    order, for every liquidated account (dev/taker-rule-sorted.ts);
 *   new, suspended   chooseTakers walking the offer index, the junk suspended (what the
 *                    offer book holds: junk is refused OFFER_NOT_BACKED, or suspended at the
 *                    first check that finds it unbacked);
 *   new, junk active the worst case of the index: the junk still active (backed when posted,
 *                    all made unbacked by one price move, before the batch that suspends it).
 *
 * Both rules must choose the same takers. Also times building the index one offer at a time.
 *
 * Then the review's case (issue 18, review finding 4: scripts/attack/junk-noncovering.ts on
 * attack-18b): every junk account deposits the least that backs a 1-lot offer at discount
 * 0 in every market, so its offer is active, ranks first, and covers nothing of the
 * liquidated positions (5 lots each): it never fails a take, so it is never suspended.
 * Per book, ms per batch of
 *
 *   one by one       the walk without the index's filter: every junk entry read and
 *                    skipped, as the walk did before the filter (the old walk);
 *   skipped          chooseTakers as the operator runs it: the index skips the entries too
 *                    small in O(log n) (its node visits per batch are printed too).
 *
 *   npm run bench:offers [-- --runs 5]
 */
import { EMPTY_POSITION, type Account } from "../prover/src/domain/account.ts";
import { DEFAULT_MARKS, defaultMarkets } from "../prover/src/domain/market.ts";
import { PARAM_SETS } from "../prover/src/domain/params.ts";
import { chooseTakersSorted } from "../prover/src/dev/taker-rule-sorted.ts";
import { chooseTakers } from "../prover/src/service/liquidators.ts";
import { offerShortfall } from "../prover/src/service/offer-backing.ts";
import {
  OfferIndex,
  type RankedOffers,
  type StandingOffer,
} from "../prover/src/service/offer-index.ts";

const RUNS = (() => {
  const i = process.argv.indexOf("--runs");
  return i >= 0 ? Number(process.argv[i + 1]) : 5;
})();
const P = PARAM_SETS.bench;
const markets = defaultMarkets(P.markets);
const marks = DEFAULT_MARKS.slice(0, P.markets);
const indices = marks.map(() => 0n);
const HONEST = 4;

const account = (collateral: bigint, sizes: readonly bigint[] = []): Account => ({
  pubKey: { x: 1n, y: 2n },
  collateral,
  withdrawNonce: 0n,
  positions: marks.map((m, j) => {
    const size = sizes[j] ?? 0n;
    return { ...EMPTY_POSITION, size, notional: size * m, nonce: size === 0n ? 0n : 1n };
  }),
});
const offer = (who: bigint, seq: number, discountBps: bigint, maxSize = 10n): StandingOffer => ({
  seq,
  signed: {
    offer: { account: who, nonce: 1n, terms: marks.map(() => ({ maxSize, discountBps })) },
    signature: { r8x: 0n, r8y: 0n, s: 0n },
  },
});

function book(n: number) {
  const state = new Map<bigint, Account>();
  const liquidated: bigint[] = [];
  for (let i = 0; i < P.liquidations; i++) {
    const a = BigInt(1000 + i);
    state.set(a, account(10_000n, [1n, -2n]));
    liquidated.push(a);
  }
  const junk: StandingOffer[] = [];
  const honest: StandingOffer[] = [];
  let seq = 0;
  for (let i = 0; i < n - HONEST; i++) {
    const a = BigInt(100_000 + i);
    state.set(a, account(0n));
    junk.push(offer(a, ++seq, 0n));
  }
  for (let i = 0; i < HONEST; i++) {
    const a = BigInt(10 + i);
    state.set(a, account(10n ** 12n));
    honest.push(offer(a, ++seq, BigInt(40 + 10 * i)));
  }
  const input = {
    accounts: liquidated,
    account: (i: bigint) => state.get(i),
    marks,
    indices,
    markets,
  };
  return { input, junk, honest };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function time(f: () => unknown, runs: number): number {
  f(); // warm
  const t: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}
const who = (ts: readonly ({ offer: { offer: { account: bigint } } } | null)[]) =>
  ts.map((t) => t?.offer.offer.account ?? null).join(",");

console.log(
  `liquidation batch: L = ${P.liquidations} accounts, ${P.markets} markets, ${HONEST} honest liquidators; median of ${RUNS} runs, ms per batch`,
);
console.log(
  "| standing offers | old rule | new, junk suspended | new, junk active | index build |",
);
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const n of [1_000, 10_000, 100_000]) {
  const { input, junk, honest } = book(n);
  const all = [...junk, ...honest];
  const old = () => chooseTakersSorted({ ...input, offers: all });
  const t0 = performance.now();
  const everything = OfferIndex.of(all, P.markets);
  const build = performance.now() - t0;
  const active = OfferIndex.of(honest, P.markets);
  const suspended = () => chooseTakers({ ...input, offers: active });
  const unsuspended = () => chooseTakers({ ...input, offers: everything });
  const expect = who(old());
  for (const [name, f] of [
    ["junk suspended", suspended],
    ["junk active", unsuspended],
  ] as const)
    if (who(f().takers) !== expect) throw new Error(`the new rule (${name}) chose otherwise`);
  if (expect.includes("null")) throw new Error("an honest liquidator should take every account");
  const row = [
    n.toLocaleString("en-US"),
    time(old, n >= 100_000 ? Math.min(RUNS, 3) : RUNS).toFixed(2),
    time(suspended, RUNS * 20).toFixed(3),
    time(unsuspended, RUNS).toFixed(2),
    build.toFixed(1),
  ];
  console.log(`| ${row.join(" | ")} |`);
}

/** The review's book: n - 1 backed 1-lot junk offers at discount 0, one honest liquidator. */
function noncovering(n: number) {
  const state = new Map<bigint, Account>();
  const liquidated: bigint[] = [];
  for (let i = 0; i < P.liquidations; i++) {
    const a = BigInt(1000 + i);
    state.set(a, account(10_000n, [5n, -5n]));
    liquidated.push(a);
  }
  const at = { marks, indices, markets };
  // the least collateral that backs a 1-lot offer in every market
  const probe = offer(99n, 0, 0n, 1n).signed.offer;
  let lo = 0n;
  let hi = 10n ** 15n;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (offerShortfall(account(mid), probe, at)) lo = mid + 1n;
    else hi = mid;
  }
  const offers: StandingOffer[] = [];
  let seq = 0;
  for (let i = 0; i < n - 1; i++) {
    const a = BigInt(100_000 + i);
    state.set(a, account(lo));
    offers.push(offer(a, ++seq, 0n, 1n));
  }
  state.set(10n, account(10n ** 12n));
  offers.push(offer(10n, ++seq, 40n, 100n));
  for (const o of offers)
    if (offerShortfall(state.get(o.signed.offer.account), o.signed.offer, at))
      throw new Error(`offer of ${o.signed.offer.account} is not backed`);
  const input = {
    accounts: liquidated,
    account: (i: bigint) => state.get(i),
    marks,
    indices,
    markets,
  };
  return { input, offers, collateral: lo };
}

console.log(
  `\nreview finding 4: backed 1-lot junk at discount 0 (covering nothing of 5-lot positions), 1 honest liquidator; median of ${RUNS} runs, ms per batch`,
);
console.log(
  "| standing offers | junk collateral each | one by one (old walk) | skipped (new walk) | index nodes visited per batch |",
);
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const n of [1_000, 10_000, 100_000]) {
  const { input, offers, collateral } = noncovering(n);
  const index = OfferIndex.of(offers, P.markets);
  const unfiltered: RankedOffers = { inMarket: (j) => index.inMarket(j) };
  const oneByOne = () => chooseTakers({ ...input, offers: unfiltered });
  const skipped = () => chooseTakers({ ...input, offers: index });
  const expect = who(chooseTakersSorted({ ...input, offers }));
  if (expect.includes("null")) throw new Error("the honest liquidator should take every account");
  for (const f of [oneByOne, skipped])
    if (who(f().takers) !== expect) throw new Error("a walk chose otherwise than the old rule");
  index.steps = 0;
  skipped();
  const visits = index.steps;
  const row = [
    n.toLocaleString("en-US"),
    collateral.toString(),
    time(oneByOne, RUNS).toFixed(2),
    time(skipped, RUNS * 20).toFixed(3),
    visits.toLocaleString("en-US"),
  ];
  console.log(`| ${row.join(" | ")} |`);
}
