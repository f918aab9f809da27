import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { deploymentDomain } from "../../prover/src/domain/messages.ts";
import { batchCommitment } from "../../prover/src/domain/batch-kinds.ts";
import { liquidationCommitment, type BatchDataOf } from "../../prover/src/domain/batch.ts";
import { fromJson, toJson } from "../../prover/src/domain/json.ts";
import {
  liquidate,
  liquidationRequests,
  liquidatorShare,
} from "../../prover/src/engine/liquidations.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import { parseBatchFile, toBatchFile } from "../../prover/src/engine/batch-file.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { signCompartmentMove } from "../../prover/src/domain/compartment-moves.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P,
  keyOf,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";

const code = (f: () => unknown) => {
  try {
    f();
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof ZkClearError, String(e));
    return e.code;
  }
};

const OFFER = () => offerOf(5n, OFFER_TERMS);

describe("Liquidations with liquidators (engine)", function () {
  it("hands the positions to a liquidator: its share of the penalty, its funding settled, the fund keeps the rest", function () {
    const s = world();
    const r = liquidate(s, [taken(3n, OFFER(), [true, false])], MARKS, P.liquidations, {}, INDICES);
    // equity 150,000, penalty 49,000: the account keeps 101,000; the liquidator's share is
    // 50 bps of 4,900,000 = 24,500, BTC's compartment gets the other 24,500
    assert.equal(s.getAccount(3n).collateral, 101_000n);
    assert.deepEqual(r.takers, [
      { account: 3n, taker: 5n, take: [true, false], discountBps: [50n, 50n], share: 24_500n },
    ]);
    assert.deepEqual(r.charges, [[24_500n, 0n]]);
    assert.deepEqual(
      [r.compartmentsBefore, r.compartmentsAfter],
      [
        [0n, 0n],
        [24_500n, 0n],
      ],
    );
    const liquidator = s.getAccount(5n);
    // it received 10 of funding on its ETH short before taking the BTC long at the mark
    assert.equal(r.funding.get(5n), -10n);
    assert.equal(liquidator.collateral, 1_000_000n + 10n + 24_500n);
    assert.deepEqual(
      liquidator.positions.map((p) => [p.size, p.notional, p.fundingIndex]),
      [
        [1n, 4_900_000n, 0n],
        [-1n, -300_000n, INDICES[1]],
      ],
    );
    // its working orders stay as they were
    assert.equal(liquidator.positions[1].nonce, 1n);
    // the reserve is untouched; the compartment's gain lowers the flat BTC notional
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual(
      [fund.collateral, fund.positions[0].size, fund.positions[0].notional],
      [1_000_000n, 0n, -24_500n],
    );
    assert.equal(
      r.dataCommitment,
      liquidationCommitment([3n], [{ offer: OFFER(), take: [true, false] }]),
    );
    assert.notEqual(r.dataCommitment, liquidationCommitment([3n]));
  });

  it("splits a liquidation: one market to the liquidator, the other to the fund", function () {
    const s = world();
    const r = liquidate(s, [taken(6n, OFFER(), [true, false])], MARKS, P.liquidations, {}, INDICES);
    // equity 150,000 + 20 of funding received; penalty 1% of 4,900,000 + 1% of 600,000
    // = 49,000 + 6,000 = 55,000: BTC's compartment gets 49,000 less the liquidator's 24,500,
    // ETH's its 6,000
    assert.equal(s.getAccount(6n).collateral, 95_020n);
    assert.equal(r.takers[0].share, 24_500n);
    assert.deepEqual(r.charges, [[24_500n, 6_000n]]);
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual(
      fund.positions.map((p) => [p.size, p.notional]),
      [
        [0n, -24_500n],
        [-2n, -600_000n - 6_000n],
      ],
    );
    assert.deepEqual(
      s.getAccount(5n).positions.map((p) => [p.size, p.notional]),
      [
        [1n, 4_900_000n],
        [-1n, -300_000n],
      ],
    );
  });

  it("keeps today's behaviour for a bare account: the fund takes everything", function () {
    const a = world();
    const b = world();
    const r1 = liquidate(a, [3n], MARKS, P.liquidations);
    const r2 = liquidate(b, [{ account: 3n }], MARKS, P.liquidations);
    assert.equal(r1.newRoot, r2.newRoot);
    assert.deepEqual(r1.takers, []);
    assert.deepEqual(r1.charges, [[49_000n, 0n]]);
  });

  it("the share is at most the penalty and is paid by the market's compartment when the equity is short", function () {
    // an account under water: equity 1,250,000 + 4,000,000 - 6,000,000 = -750,000; the
    // liquidator still gets its 50 bps of 4,000,000 = 20,000, and BTC's compartment pays
    // it with the shortfall
    const s = world([1_000_000n, 0n]);
    const r = liquidate(
      s,
      [taken(3n, OFFER(), [true, false])],
      [4_000_000n, 300_000n],
      P.liquidations,
    );
    assert.equal(r.takers[0].share, 20_000n);
    assert.deepEqual(r.charges, [[-750_000n - 20_000n, 0n]]);
    assert.deepEqual(r.compartmentsAfter, [1_000_000n - 770_000n, 0n]);
    assert.equal(s.getAccount(INSURANCE_ACCOUNT).collateral, 1_000_000n);
    assert.equal(liquidatorShare([3n, -2n], [7n, 11n], [true, true], [5_000n, 1n]), 10n);
    assert.equal(liquidatorShare([3n, -2n], [7n, 11n], [false, true], [5_000n, 10_000n]), 22n);
  });

  it("refuses each rule broken, for its reason, and leaves the state as it was", function () {
    const cases: [string, () => unknown][] = [
      ["LIQUIDATOR_IS_ACCOUNT", () => [taken(3n, offerOf(3n, OFFER_TERMS), [true, false])]],
      ["LIQUIDATOR_SYSTEM_ACCOUNT", () => [taken(3n, offerOf(1n, OFFER_TERMS), [true, false])]],
      ["LIQUIDATOR_NOT_FOUND", () => [taken(3n, offerOf(9n, OFFER_TERMS), [true, false])]],
      // signed by another account's key, or for another deployment
      [
        "LIQUIDATOR_BAD_SIGNATURE",
        () => [taken(3n, offerOf(5n, OFFER_TERMS, { signer: 7n }), [true, false])],
      ],
      [
        "LIQUIDATOR_BAD_SIGNATURE",
        () => [
          taken(3n, offerOf(5n, OFFER_TERMS, { domain: deploymentDomain(1n, 1n) }), [true, false]),
        ],
      ],
      // account 6 is short 2 ETH: an offer of at most 1 ETH does not cover it
      [
        "OFFER_NOT_COVERING",
        () => [
          taken(
            6n,
            offerOf(5n, [
              [10n, 50n],
              [1n, 50n],
            ]),
            [false, true],
          ),
        ],
      ],
      // nothing to take: no flag, or a flag on a market the account holds nothing in
      ["OFFER_NOT_COVERING", () => [taken(3n, OFFER(), [false, false])]],
      ["OFFER_NOT_COVERING", () => [taken(3n, OFFER(), [false, true])]],
      ["OFFER_NOT_COVERING", () => [taken(3n, OFFER(), [true])]],
      [
        "OFFER_DISCOUNT_ABOVE_PENALTY",
        () => [
          taken(
            3n,
            offerOf(5n, [
              [10n, 101n],
              [10n, 50n],
            ]),
            [true, false],
          ),
        ],
      ],
      ["LIQUIDATOR_MARGIN", () => [taken(3n, offerOf(7n, OFFER_TERMS), [true, false])]],
    ];
    for (const [expected, requests] of cases) {
      const s = world();
      const root = s.root;
      const got = code(() => liquidate(s, requests() as never, MARKS, P.liquidations, {}, INDICES));
      assert.equal(got, expected);
      assert.equal(s.root, root, `${expected}: the state is unchanged`);
    }
    assert.equal(
      code(() => liquidationRequests([3n, 6n], [null])),
      "LIQUIDATION_TAKER_COUNT",
    );
  });

  it("carries the takers in the request body and the batch file, whose commitment binds them", function () {
    const s = world();
    const offer = OFFER();
    const applied = applyBatch(
      s,
      {
        kind: "liquidations",
        accounts: [3n, 6n],
        takers: [{ offer, take: [true, false] }, null],
        marks: MARKS,
        round: 1n,
        fundingIndices: INDICES,
        margins: oneX(MARKS.length),
      },
      P,
    );
    const d = applied.data as BatchDataOf<"liquidations">;
    assert.equal(batchCommitment(d), d.dataCommitment);
    // the stored request body round-trips (service store), and one without takers decodes
    const stored = fromJson<BatchDataOf<"liquidations">>(toJson(d));
    assert.equal(batchCommitment(stored), d.dataCommitment);
    const meta = { chainId: 31337n, settlement: `0x${"11".repeat(20)}`, batch: 3 };
    const file = toBatchFile(d, meta);
    const back = parseBatchFile(JSON.stringify(file)).data as BatchDataOf<"liquidations">;
    assert.deepEqual(back.takers, d.takers);
    assert.equal(batchCommitment(back), d.dataCommitment);
    // a file whose taker records differ from the committed ones no longer hashes to it
    const edit = (f: (t: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(file)) as { takers: Record<string, unknown>[] };
      f(copy.takers[0]);
      return batchCommitment(parseBatchFile(JSON.stringify(copy)).data);
    };
    assert.notEqual(
      edit((t) => ((t.take as boolean[])[1] = true)),
      d.dataCommitment,
    );
    assert.notEqual(
      edit((t) => ((t.offer as { terms: { discountBps: string }[] }).terms[0].discountBps = "40")),
      d.dataCommitment,
    );
    assert.notEqual(
      edit((t) => ((t.offer as { account: string }).account = "7")),
      d.dataCommitment,
    );
    // dropping the takers altogether, too (an old-format file reads, and hashes otherwise)
    const old = { ...file } as Record<string, unknown>;
    delete old.takers;
    const oldData = parseBatchFile(JSON.stringify(old)).data as BatchDataOf<"liquidations">;
    assert.equal(oldData.takers, undefined);
    assert.notEqual(batchCommitment(oldData), d.dataCommitment);
    // a taker list not aligned with the accounts is refused
    assert.throws(
      () => parseBatchFile(JSON.stringify({ ...file, takers: [null] })),
      /one entry \(or null\) per account/,
    );
  });

  it("undoes a refused unchecked batch whole, with the refusal that stopped it, though it wrote a liquidator past its width", function () {
    // unchecked (the skip proof's replay, adversarial tests): liquidator 5 at the top of
    // its collateral takes 6's ETH and is paid past 2^128, is then liquidated itself (its
    // over-width leaf recorded for the undo), and the batch's compartment move, signed by
    // the wrong key, refuses it all
    const s = world();
    s.setAccount(5n, { ...s.getAccount(5n), collateral: (1n << 128n) - 1n });
    const root = s.root;
    const move = signCompartmentMove(
      { market: 0, nonce: 0n, amount: 1n, toReserve: false },
      2,
      keyOf(3n).privateKey,
      SAMPLE_DOMAIN,
    );
    const requests = [taken(6n, OFFER(), [false, true]), 5n];
    const run = () =>
      liquidate(s, requests, MARKS, P.liquidations, { unchecked: true, move }, INDICES);
    assert.equal(code(run), "COMPARTMENT_BAD_SIGNATURE");
    assert.equal(s.root, root, "the state is the one before the batch");
    assert.equal(s.getAccount(5n).collateral, (1n << 128n) - 1n);
  });
});
