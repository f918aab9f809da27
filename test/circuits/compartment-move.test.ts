import assert from "node:assert/strict";
import { devKeyPair, sign } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { packBalance } from "../../prover/src/domain/account.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import {
  compartmentMoveHead,
  compartmentMoveMessage,
  signCompartmentMove,
  type CompartmentMove,
  type SignedCompartmentMove,
} from "../../prover/src/domain/compartment-moves.ts";
import { liquidationCommitment, type BatchDataOf } from "../../prover/src/domain/batch.ts";
import { batchCommitment } from "../../prover/src/domain/batch-kinds.ts";
import { deploymentDomain } from "../../prover/src/domain/messages.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { parseBatchFile, toBatchFile } from "../../prover/src/engine/batch-file.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { assertRefused, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { shortfallWorld } from "../helpers/shortfall-world.ts";

const P = TEST_PARAMS;
const ETH = 300_000n;
const SHORTFALL_MARKS = [4_000_000n, ETH];
const FUND_KEY = devOwnerKeys().fund.privateKey;

const world = shortfallWorld;

const signed = (m: Partial<CompartmentMove>, key = FUND_KEY, domain = SAMPLE_DOMAIN) =>
  signCompartmentMove(
    { market: 0, nonce: 0n, amount: 1_000_000n, toReserve: false, ...m },
    P.markets,
    key,
    domain,
  );
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const code = (f: () => unknown) => {
  try {
    f();
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof ZkClearError, String(e));
    return e.code;
  }
};
const run = (
  s: ExchangeState,
  accounts: bigint[],
  move: SignedCompartmentMove,
  marks = SHORTFALL_MARKS,
) => liquidate(s, accounts, marks, P.liquidations, { move });

describe("CompartmentMove in LiquidateBatch (test parameters)", function () {
  it("moves the reserve into a compartment before the slots, so the compartment pays the shortfall", async function () {
    const move = signed({});
    // without the move BTC's empty compartment cannot pay the 750,000: the batch
    // deleverages the rest (docs/isolation.md section 3)
    assert.equal(
      liquidate(world(2_000_000n), [3n], SHORTFALL_MARKS, P.liquidations).deleveraged[0]?.market,
      0,
    );
    const s = world(2_000_000n);
    const r = run(s, [3n], move);
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual([fund.collateral, fund.withdrawNonce], [1_000_000n, 1n]);
    assert.deepEqual(r.compartmentsAfter, [250_000n, 0n]);
    // the move is committed: an auditor replays it from the batch file
    assert.equal(r.dataCommitment, liquidationCommitment([3n], [], move));
    assert.notEqual(r.dataCommitment, liquidationCommitment([3n]));
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.priceConfigHash]);
  });

  it("carries a move alone, out of a compartment above its requirement, and records it in the batch file", async function () {
    // the fund is long 1 BTC at 4,000,000 with 2,000,000 in BTC's compartment; 5% of
    // 4,000,000 = 200,000 must stay
    const s = world(0n, 2_000_000n, 1n);
    const move = signed({ amount: 1_800_000n, toReserve: true });
    assert.equal(
      code(() =>
        run(world(0n, 2_000_000n, 1n), [], signed({ amount: 1_800_001n, toReserve: true })),
      ),
      "COMPARTMENT_BELOW_REQUIREMENT",
    );
    const applied = applyBatch(
      s,
      {
        kind: "liquidations",
        accounts: [],
        compartmentMove: move,
        marks: SHORTFALL_MARKS,
        round: 1n,
        fundingIndices: [0n, 0n],
        margins: oneX(2),
      },
      P,
    );
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.equal(fund.collateral, 1_800_000n);
    assert.deepEqual(compartmentValues(fund, SHORTFALL_MARKS), [200_000n, 0n]);
    const d = applied.data as BatchDataOf<"liquidations">;
    assert.equal(d.dataCommitment, compartmentMoveHead(move.move));
    assert.equal(batchCommitment(d), d.dataCommitment);
    const meta = { chainId: 31337n, settlement: `0x${"11".repeat(20)}`, batch: 3 };
    const back = parseBatchFile(JSON.stringify(toBatchFile(d, meta)))
      .data as BatchDataOf<"liquidations">;
    assert.deepEqual(back.compartmentMove, move);
    assert.equal(batchCommitment(back), d.dataCommitment);
    // the proof of the same batch, from the engine's witness
    const again = run(world(0n, 2_000_000n, 1n), [], move);
    assert.equal(again.newRoot, d.newRoot);
    await witnessFor(liq(again.input));
  });

  it("refuses each rule broken, in the engine for its reason and in CompartmentMove", async function () {
    // the engine: another key, another deployment, out of turn, more than the reserve, zero
    const cases: [string, SignedCompartmentMove][] = [
      ["COMPARTMENT_BAD_SIGNATURE", signed({}, devKeyPair("not the fund").privateKey)],
      ["COMPARTMENT_BAD_SIGNATURE", signed({}, FUND_KEY, deploymentDomain(1n, 1n))],
      ["COMPARTMENT_MOVE_NONCE", signed({ nonce: 1n })],
      ["COMPARTMENT_RESERVE_SHORT", signed({ amount: 2_000_001n })],
    ];
    for (const [expected, move] of cases) {
      const s = world(2_000_000n);
      const root = s.root;
      assert.equal(
        code(() => run(s, [3n], move)),
        expected,
      );
      assert.equal(s.root, root, `${expected}: the state is unchanged`);
    }
    // the circuit: a valid batch's move fields altered, one at a time
    const r = run(world(2_000_000n), [3n], signed({}));
    const with_ = (m: Partial<LiquidateBatchInput["move"]>) =>
      liq({ ...r.input, move: { ...r.input.move, ...m } });
    // another amount, market or direction than the signed one
    await assertRefused(with_({ amount: 999_999n }), "CompartmentMove");
    await assertRefused(with_({ market: [0n, 1n] }), "CompartmentMove");
    await assertRefused(with_({ toReserve: 1n }), "CompartmentMove");
    // two markets at once, or a move without its enable bit
    await assertRefused(with_({ market: [1n, 1n] }), "CompartmentMove");
    await assertRefused(with_({ enabled: 0n }), "CompartmentMove");
    // a disabled move that still carries an amount (or a direction): it would move money
    await assertRefused(with_({ enabled: 0n, market: [0n, 0n] }), "CompartmentMove");
    await assertRefused(
      with_({ enabled: 0n, market: [0n, 0n], amount: 0n, toReserve: 1n }),
      "CompartmentMove",
    );
    // a move of 0, even signed by the fund's key (it would spend the nonce for nothing)
    const zero = { market: 0, nonce: 0n, amount: 0n, toReserve: false };
    const zeroSig = sign(FUND_KEY, compartmentMoveMessage(zero, SAMPLE_DOMAIN));
    await assertRefused(
      with_({ amount: 0n, sigR8x: zeroSig.r8x, sigR8y: zeroSig.r8y, sigS: zeroSig.s }),
      "CompartmentMove",
    );
    // a reserve that cannot pay: the same signed move against a fund holding less
    const fund = r.input.fund;
    await assertRefused(
      liq({ ...r.input, fund: { ...fund, balance: packBalance(999_999n, 0n) } }),
      "CompartmentMove",
    );
    // out of a compartment below its requirement: signed, but the fund's position needs more
    const ok = run(world(0n, 2_000_000n, 1n), [], signed({ amount: 1_800_000n, toReserve: true }));
    // the same compartment, 2,000,000, under a fund long 2 BTC: 400,000 must stay
    const bigger = world(0n, 2_000_000n, 2n);
    assert.deepEqual(compartmentValues(bigger.getAccount(INSURANCE_ACCOUNT), SHORTFALL_MARKS), [
      2_000_000n,
      0n,
    ]);
    const pre = liquidate(bigger, [], SHORTFALL_MARKS, P.liquidations).input.fund;
    await assertRefused(liq({ ...ok.input, fund: pre }), "CompartmentMove");
  });

  it("moves out of a compartment whatever the reserve holds, and keeps the fund's nonce within 32 bits", async function () {
    // a fund trade's fee can leave the reserve below 0: a move out adds to it all the same
    const r = run(world(-3_000n, 2_000_000n, 1n), [], signed({ amount: 1_000n, toReserve: true }));
    assert.equal(r.compartmentsAfter[0], 2_000_000n - 1_000n);
    await witnessFor(liq(r.input));
    // the last nonce: the engine refuses the leaf it would write, the circuit the carry into
    // the flag bits
    const last = 2n ** 32n - 1n;
    assert.equal(
      code(() => run(world(2_000_000n, 0n, 0n, last), [], signed({ nonce: last }))),
      "VALUE_OUT_OF_RANGE",
    );
    const forged = liquidate(world(2_000_000n, 0n, 0n, last), [], SHORTFALL_MARKS, P.liquidations, {
      unchecked: true,
      move: signed({ nonce: last }),
    });
    await assertRefused(liq(forged.input), "RangeCheck");
  });

  it("spends the fund's nonce up to the last one: the leaf holds 2^32 - 1", async function () {
    // the check is of the nonce after the move (32 bits), not of one bit fewer or more
    const next = 2n ** 32n - 2n;
    const s = world(2_000_000n, 0n, 0n, next);
    const r = run(s, [3n], signed({ nonce: next }));
    assert.equal(s.getAccount(INSURANCE_ACCOUNT).withdrawNonce, 2n ** 32n - 1n);
    const w = await witnessFor(liq(r.input));
    assert.equal(w[2], r.newRoot);
  });
});
