import assert from "node:assert/strict";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { newAccount, type Account } from "../../prover/src/domain/account.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import type { BatchDataOf } from "../../prover/src/domain/batch.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import { replayBatch, type ReplayContext } from "../../prover/src/audit/batch-replay.ts";
import { newProgress } from "../../prover/src/audit/progress.ts";
import type { Finding } from "../../prover/src/audit/findings.ts";
import type { PublishedConfig } from "../../prover/src/engine/batch-file.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { TEST_PARAMS } from "../helpers/circuit.ts";

const P = TEST_PARAMS;
const markets = defaultMarkets(P.markets);
const MARKS = [4_000_000n, 300_000n];
const pos = (size: bigint, notional: bigint) => ({
  size,
  notional,
  nonce: 1n,
  filled: 1n,
  fundingIndex: 0n,
});
const flat = pos(0n, 0n);

/**
 * BTC crashed to 4,000,000: account 3 (long 1 from 6,000,000 on 1,250,000) is bankrupt
 * beyond BTC's compartment of 100,000. Accounts 4 and 5 are short 1 BTC from 6,000,000:
 * 4 on 700,000 (more leveraged, ranked first), 5 on 50,000,000.
 */
function world(): ExchangeState {
  const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
  const put = (i: bigint, collateral: bigint, positions: Account["positions"]) =>
    s.setAccount(i, { ...newAccount(devKeyPair(`adl-${i}`).publicKey, 2, collateral), positions });
  put(3n, 1_250_000n, [pos(1n, 6_000_000n), flat]);
  put(4n, 700_000n, [pos(-1n, -6_000_000n), flat]);
  put(5n, 50_000_000n, [pos(-1n, -6_000_000n), flat]);
  const fund = s.getAccount(INSURANCE_ACCOUNT);
  s.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    collateral: 1_000_000n,
    positions: [{ ...fund.positions[0], notional: -100_000n }, fund.positions[1]],
  });
  return s;
}

const request = {
  kind: "liquidations" as const,
  accounts: [3n],
  marks: MARKS,
  round: 1n,
  fundingIndices: zeroIndices(2),
  margins: oneX(2),
};

function replay(d: BatchDataOf<"liquidations">, chainRoot: bigint): Finding[] {
  const found: Finding[] = [];
  const state = world();
  const ctx = {
    p: newProgress(state.root, 0, true),
    state,
    config: { paramSet: P } as unknown as PublishedConfig,
    find: (f: Finding) => found.push(f),
    stopReplay: () => {},
  } as unknown as ReplayContext;
  replayBatch(ctx, 7, d, [...MARKS], zeroIndices(2), oneX(2), chainRoot);
  return found;
}

describe("audit: a liquidation batch's deleveraging follows the published ranking", function () {
  it("passes the honest list, and flags a file that deleverages a lower-ranked account instead (ADL_RANKING_INCOMPLETE)", function () {
    const honest = applyBatch(world(), request, P).data as BatchDataOf<"liquidations">;
    assert.deepEqual(
      honest.deleveraged?.map((m) => m.entries.map((e) => e.account)),
      [[4n]],
    );
    assert.deepEqual(replay(honest, honest.newRoot), []);
    // the operator leaves account 4 out and closes account 5's lot: the circuit accepts
    // the list it is given (in order, eligible, greedy), the replay does not
    const [m] = honest.deleveraged!;
    const forged: BatchDataOf<"liquidations"> = {
      ...honest,
      deleveraged: [{ ...m, entries: [{ account: 5n, score: 70_000n, lots: 1n }] }],
    };
    const found = replay(forged, 123n);
    assert.deepEqual(
      found.map((f) => f.code),
      ["ADL_RANKING_INCOMPLETE", "ROOT_NOT_CHAINED"],
    );
    assert.match(found[0].message, /market 0 at 4650000: 5 x 1.*gives market 0 at 4650000: 4 x 1/);
    // and names who was left out: each a skip proof
    assert.match(found[0].message, /left out, each a skip proof .*: account 4 in market 0$/);
  });
});
