import { devOwners } from "../../prover/src/domain/owners.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { newAccount, type Account } from "../../prover/src/domain/account.ts";
import type { BatchDataOf } from "../../prover/src/domain/batch.ts";
import type { Deleveraging } from "../../prover/src/domain/deleveraging.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import type { ForgedDeleverage } from "../../prover/src/engine/deleverage.ts";
import { liquidate, type LiquidationResult } from "../../prover/src/engine/liquidations.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { TEST_PARAMS } from "./circuit.ts";
import { fundWithCompartments } from "./compartments.ts";

/**
 * The deleveraging tests' world (test/circuits/auto-deleverage.test.ts,
 * test/circuits/skip-deleverage.test.ts): a BTC crash with a bankrupt long and the shorts
 * that oppose the fund's position after its liquidation.
 */
const P = TEST_PARAMS;
const markets = defaultMarkets(P.markets);
export const ETH = 3_000_00n;
export const BTC_CRASH = 4_000_000n;

export const position = (size: bigint, notional: bigint) => ({
  size,
  notional,
  nonce: 1n,
  filled: 1n,
  fundingIndex: 0n,
});
export const flat = position(0n, 0n);
/** The published records but for the roots (the tree's, checked by the witness). */
export const withoutRoots = (list: readonly Deleveraging[]) =>
  list.map(({ root: _root, ...d }) => d);

/**
 * BTC crashes from 6,000,000 to 4,000,000. Account 3, long 1 lot from 6,000,000 with
 * 1,250,000 of collateral, is bankrupt: it loses 750,000 beyond its equity. The shorts that
 * sold to it, accounts `shorts` (collateral, lots, entry price), oppose the fund's position
 * after the liquidation. The fund holds `compartments[j]` in market j's compartment and
 * 1,000,000 in its reserve.
 */
export function world(
  compartments: readonly bigint[],
  shorts: readonly (readonly [bigint, bigint, bigint])[],
  longs: readonly (readonly [bigint, bigint, bigint])[] = [],
  bankruptLots = 1n,
) {
  const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
  const account = (name: string, collateral: bigint, positions: Account["positions"]) => ({
    ...newAccount(devKeyPair(name).publicKey, 2, collateral),
    positions,
  });
  s.setAccount(
    3n,
    account("bankrupt", bankruptLots * 1_250_000n, [
      position(bankruptLots, bankruptLots * 6_000_000n),
      flat,
    ]),
  );
  let next = 4n;
  for (const [collateral, lots, entry] of shorts)
    s.setAccount(
      next,
      account(`short${next++}`, collateral, [position(-lots, -lots * entry), flat]),
    );
  for (const [collateral, lots, entry] of longs)
    s.setAccount(next, account(`long${next++}`, collateral, [position(lots, lots * entry), flat]));
  fundWithCompartments(s, compartments);
  return s;
}

/**
 * Both compartments empty; the bankrupt is long 1 BTC and 10 ETH from 400,000; account 4 is
 * short 1 BTC, account 5 short 10 ETH.
 */
export function bankruptInBoth(): ExchangeState {
  const s = world([0n, 0n], [[10_000_000n, 1n, 6_000_000n]]);
  s.setAccount(3n, {
    ...s.getAccount(3n),
    positions: [position(1n, 6_000_000n), position(10n, 4_000_000n)],
  });
  s.setAccount(5n, {
    ...newAccount(devKeyPair("eth short").publicKey, 2, 10_000_000n),
    positions: [flat, position(-10n, -4_000_000n)],
  });
  return s;
}

/**
 * Two bankrupt lots (C = 100,000 - 1,500,000): account 4 (short 2 from 6,000,000 on
 * 700,000) ranks above account 5 (short 1 on 50,000,000); honestly, account 4 takes both.
 */
export const twoShorts = () =>
  world(
    [100_000n, 10_000_000n],
    [
      [700_000n, 2n, 6_000_000n],
      [50_000_000n, 1n, 6_000_000n],
    ],
    [],
    2n,
  );

/** The crash's marks: BTC at 4,000,000, ETH at 300,000. */
export const CRASH_MARKS = [BTC_CRASH, ETH];

/**
 * The batch file's data of a liquidation of `accounts` (account 3, the bankrupt, unless
 * said) at the crash's marks.
 */
export function crashFile(
  r: LiquidationResult,
  accounts: readonly bigint[] = [3n],
): BatchDataOf<"liquidations"> {
  return {
    kind: "liquidations",
    accounts: [...accounts],
    takers: accounts.map(() => null),
    marks: CRASH_MARKS,
    round: 1n,
    fundingIndices: zeroIndices(CRASH_MARKS.length),
    margins: oneX(CRASH_MARKS.length),
    oldRoot: r.oldRoot,
    newRoot: r.newRoot,
    dataCommitment: r.dataCommitment,
    deleveraged: r.deleveraged,
    funding: [],
  };
}

/**
 * Settles account 3's liquidation on a fresh `w()`, honestly or with a forged deleveraging:
 * the state it was proven from (another fresh `w()`), its file and the engine's result.
 */
export function settleCrash(w: () => ExchangeState, forge?: ForgedDeleverage) {
  const r = forge
    ? liquidate(w(), [3n], CRASH_MARKS, P.liquidations, { unchecked: true, forgeDeleverage: forge })
    : liquidate(w(), [3n], CRASH_MARKS, P.liquidations);
  return { before: w(), file: crashFile(r), r };
}
