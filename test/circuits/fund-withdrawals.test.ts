import assert from "node:assert/strict";
import { FUNDING_SCALE, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import type { ProcessWithdrawalsInput } from "../../prover/src/domain/inputs.ts";
import { processWithdrawals, TransferBatchError } from "../../prover/src/engine/transfers.ts";
import { sampleExchange, type Sample } from "../../prover/src/dev/sample.ts";
import { assertRefused, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";

/**
 * The insurance fund's withdrawals under its compartments' rules (docs/isolation.md,
 * section 1; WithdrawalSlot): the fund's funding is judged, not settled. Its margin and floor
 * check counts what its positions owe, its leaf keeps every market's index, and its reserve
 * alone pays the amount: a market's funding never reaches the reserve.
 */
const P = TEST_PARAMS;
const BTC = 0;
const ETH = 1;
const PX = 60_000_00n;
const RESERVE = 2_000_000n;
const TREASURY = 0x7e5f4552091a69125d5dfcb7b8c2659029395bdfn;
/** ETH's index rose 4 per lot: the fund's 3 lots short are owed 12. */
const INDICES = [0n, 4n * FUNDING_SCALE];
const withdrawalsOf = (input: ProcessWithdrawalsInput) => ({
  kind: "process_withdrawals" as const,
  input,
});

/**
 * The fund with RESERVE in its reserve, long 2 BTC with 2,000,000 in BTC's compartment and
 * short 3 ETH with 200,000 in ETH's: its equity after withdrawing the whole reserve still
 * covers its initial margin (1,290,000).
 */
function fundWorld(floor = 0n): Sample {
  const s = sampleExchange(P, 0, undefined, floor);
  const fund = s.state.getAccount(INSURANCE_ACCOUNT);
  const eth = s.marks[ETH];
  s.state.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    collateral: RESERVE,
    positions: fund.positions.map((p, j) =>
      j === BTC
        ? { ...p, size: 2n, notional: 2n * PX - 2_000_000n }
        : { ...p, size: -3n, notional: -3n * eth - 200_000n },
    ),
  });
  return s;
}

/** Rewrites slot 0 of `input` to withdraw `amount`, signed by the fund owner. */
function rewritten(s: Sample, input: ProcessWithdrawalsInput, amount: bigint) {
  const big = fundOut(s, amount);
  const [slot, ...pads] = input.slots;
  const over = {
    ...slot,
    amount,
    sigR8x: big.signature.r8x,
    sigR8y: big.signature.r8y,
    sigS: big.signature.s,
  };
  return withdrawalsOf({
    ...input,
    payout: input.payout.map((x, i) => (i === 0 ? TREASURY + (amount << 160n) : x)),
    slots: [over, ...pads],
  });
}

const fundOut = (s: Sample, amount: bigint) =>
  signWithdrawal(
    { account: INSURANCE_ACCOUNT, nonce: 0n, amount, recipient: TREASURY },
    devOwnerKeys().fund.privateKey,
    s.domain,
  );

describe("the insurance fund's withdrawals under its compartments (engine and circuit)", function () {
  it("judges the fund's funding but settles none: the reserve pays the amount alone, every index stays", async function () {
    const s = fundWorld();
    const before = s.state.getAccount(INSURANCE_ACCOUNT);
    const r = processWithdrawals(
      s.state,
      [fundOut(s, RESERVE)],
      s.marks,
      P.withdrawals,
      {},
      INDICES,
    );
    const w = await witnessFor(withdrawalsOf(r.input));
    assert.deepEqual(w.slice(1, 3), [r.input.oldRoot, r.input.newRoot]);
    const fund = s.state.getAccount(INSURANCE_ACCOUNT);
    assert.equal(fund.collateral, 0n);
    assert.equal(fund.withdrawNonce, 1n);
    // ETH's 12 stay owed to ETH's position (and compartment), at its old index
    assert.deepEqual(fund.positions, before.positions);
    assert.equal(r.funding.has(INSURANCE_ACCOUNT), false);
  });

  it("refuses more than the reserve, though the funding owed to the fund would cover it (engine; circuit: WithdrawalSlot)", async function () {
    // 5 more than the reserve: settled, the 12 ETH owes the fund would pay it (the rule of
    // every other account); the fund's reserve alone must
    const s = fundWorld();
    assert.throws(
      () =>
        processWithdrawals(
          s.state,
          [fundOut(s, RESERVE + 5n)],
          s.marks,
          P.withdrawals,
          {},
          INDICES,
        ),
      (e: unknown) => e instanceof TransferBatchError && e.code === "WITHDRAW_INSUFFICIENT",
    );
    // the honest slot for the whole reserve, rewritten to 5 more (signed by the fund owner)
    const r = processWithdrawals(
      fundWorld().state,
      [fundOut(s, RESERVE)],
      s.marks,
      P.withdrawals,
      {},
      INDICES,
    );
    await assertRefused(rewritten(s, r.input, RESERVE + 5n), "WithdrawalSlot");
  });

  it("refuses a proof that settles the fund's funding into its reserve (the old rule's leaf)", async function () {
    const s = fundWorld();
    const r = processWithdrawals(
      s.state,
      [fundOut(s, 1_000_000n)],
      s.marks,
      P.withdrawals,
      {},
      INDICES,
    );
    // the leaf a settling slot would have written: the 12 in the reserve, ETH's index current
    const fund = s.state.getAccount(INSURANCE_ACCOUNT);
    s.state.setAccount(INSURANCE_ACCOUNT, {
      ...fund,
      collateral: fund.collateral + 12n,
      positions: fund.positions.map((p, j) => ({ ...p, fundingIndex: INDICES[j] })),
    });
    await assertRefused(withdrawalsOf({ ...r.input, newRoot: s.state.root }), "ProcessWithdrawals");
  });

  it("counts what the fund owes against its floor: a withdrawal its unsettled funding would take below it is refused (engine; circuit: MarginRequirement)", async function () {
    // floor 500,000, initial margin 1,290,000: the fund's equity, 2,200,000 once the
    // reserve is out, covers 1,790,000; but its 2 BTC lots owe 500,000 of funding (250,000
    // each since its last settlement), so at most 1,900,000 of the reserve may leave
    const owing = [250_000n * FUNDING_SCALE, 0n];
    const s = fundWorld(500_000n);
    assert.throws(
      () => processWithdrawals(s.state, [fundOut(s, RESERVE)], s.marks, P.withdrawals, {}, owing),
      (e: unknown) => e instanceof TransferBatchError && e.code === "FUND_BELOW_FLOOR",
    );
    const r = processWithdrawals(
      s.state,
      [fundOut(s, 1_900_000n)],
      s.marks,
      P.withdrawals,
      {},
      owing,
    );
    await witnessFor(withdrawalsOf(r.input));
    // the funding stays owed on the position: nothing settled into the reserve
    assert.equal(s.state.getAccount(INSURANCE_ACCOUNT).collateral, 100_000n);
    assert.equal(s.state.getAccount(INSURANCE_ACCOUNT).positions[BTC].fundingIndex, 0n);
    // the same slot for the whole reserve: the circuit counts the funding too
    await assertRefused(rewritten(fundWorld(500_000n), r.input, RESERVE), "MarginRequirement");
  });
});
