import assert from "node:assert/strict";
import type { JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import {
  oneX,
  type MarginRuleNumbers,
  type RoundMargins,
} from "../../prover/src/domain/volatility.ts";
import {
  deposit,
  postRound,
  proveBatch,
  settleDeposits,
  settleLiquidations,
  settleTradeBatch,
  settleWithdrawals,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitProven } from "../../prover/src/service/pipeline.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { TransferBatchError } from "../../prover/src/engine/transfers.ts";
import { LiquidationError } from "../../prover/src/engine/liquidations.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
/** Market 0 up 10 %: a return of 1,000 bps. */
const UP = [66_000_00n, 3_000_00n];
/**
 * A 4-round window at a reference move of 1.25 %: one 10 % move makes acc = 1,000 and the
 * multiplier 1,000 * 10^4 / (4 * 125) = 2x; a calm round after it decays acc to 750, 1.5x.
 */
const RULE: MarginRuleNumbers = {
  span: 4,
  refBps: 125,
  floorBps: 10_000,
  ceilBps: 30_000,
  grace: 600,
};

/**
 * Margins that follow volatility, end to end on a real chain with real proofs: every batch
 * is proven at the round's multipliers, which Settlement binds from the oracle's record, so
 * a batch proven at another requirement is refused (InvalidProof); the engine checks
 * withdrawals at the raised requirement at once, and liquidations at the old one until the
 * grace period has passed.
 *
 * Market 0 (BTC-like: initial 10 %, maintenance 5 %): alice long 5 and bob short 5 at
 * 60,000.00. At 66,000.00 alice's equity is 80,000.00 against an initial requirement of
 * 33,000.00 at 1x and 66,000.00 at 2x; bob's is 23,000.00 against a maintenance
 * requirement of 16,500.00 at 1x, 24,750.00 at 1.5x and 33,000.00 at 2x.
 */
describe("volatility margins on chain: batches proven at the round's multipliers (test parameters)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let nonce = 0n;

  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s: JsonRpcSigner[] = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]], { breakerMoveBps: 10_000, marginRule: RULE });
    [alice, bob] = w.participants;
    await deposit(w, alice, 50_000_00n);
    await deposit(w, bob, 53_000_00n);
    await settleDeposits(w);
    await postRound(w, MARKS);
    nonce += 1n;
    const side = (p: Participant, s: "buy" | "sell") =>
      order(
        w,
        { index: p.account!, keys: p.keys },
        { market: 0, side: s, nonce, amount: 5n, limitPrice: MARKS[0] },
      );
    await settleTradeBatch(w, [
      {
        buy: side(alice, "buy"),
        sell: side(bob, "sell"),
        qty: 5n,
        price: MARKS[0],
        takerIsBuyer: true,
      },
    ]);
  });

  const withdrawal = (who: Participant, amount: bigint, n: bigint) =>
    signWithdrawal(
      { account: who.account!, nonce: n, amount, recipient: 0xabcn },
      who.keys.privateKey,
      w.domain,
    );

  /** Proves a batch at `margins` (a dishonest operator's choice) and submits it. */
  async function submitAt(
    req: Parameters<typeof proveBatch>[1],
    margins: RoundMargins,
  ): Promise<unknown> {
    w.state.startJournal();
    try {
      const { data, proof } = await proveBatch(w, { ...req, margins } as never);
      return await submitProven(w.chain, data, proof);
    } finally {
      // the local state follows the chain, not the refused batch
      w.state.rollback(w.state.stopJournal());
    }
  }

  it("binds the round's multipliers: the requirement rose at once, liquidations keep 1x", async function () {
    await postRound(w, UP);
    assert.deepEqual(w.margins, { mult: [20_000n, 10_000n], liqMult: [10_000n, 10_000n] });
    const bound = BigInt(await w.d.settlement.getFunction("roundBinding")(w.round));
    assert.equal(bound, priceConfigHash(w.state, UP, w.fundingIndices, w.margins));
    assert.notEqual(bound, priceConfigHash(w.state, UP, w.fundingIndices, oneX(P.markets)));
  });

  it("refuses a withdrawal the raised requirement does not allow; pays one it allows", async function () {
    // 30,000.00 would leave alice 50,000.00 of equity: enough at 1x (33,000.00), not at 2x
    await assert.rejects(
      settleWithdrawals(w, [withdrawal(alice, 30_000_00n, 0n)]),
      (e: unknown) => e instanceof TransferBatchError && e.code === "MARGIN_INSUFFICIENT",
    );
    await settleWithdrawals(w, [withdrawal(alice, 10_000_00n, 0n)]);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
  });

  it("Settlement refuses a batch proven at a requirement other than the rule's (InvalidProof)", async function () {
    // the withdrawal 2x refuses, proven as if the multiplier were 1x
    const req = {
      kind: "withdrawals" as const,
      withdrawals: [withdrawal(alice, 30_000_00n, 1n)],
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    };
    await assert.rejects(submitAt(req, oneX(P.markets)), /InvalidProof/);
    // and a liquidation of bob, proven as if the rise had already reached liquidations
    const liq = {
      kind: "liquidations" as const,
      accounts: [bob.account!],
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    };
    await assert.rejects(submitAt(liq, { ...w.margins, liqMult: w.margins.mult }), /InvalidProof/);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
  });

  it("liquidates at the raised requirement only after the grace period", async function () {
    // bob (23,000.00) is above maintenance at 1x (16,500.00), below it at 2x: not yet
    await assert.rejects(
      settleLiquidations(w, [bob.account!]),
      (e: unknown) => e instanceof LiquidationError && e.code === "LIQUIDATE_HEALTHY",
    );
    const [pending, since] = (await w.d.oracle.getFunction("pendingMargin")(0)) as bigint[];
    // waiting since the rise's round was posted (its block's time)
    const [posted] = await w.d.oracle.queryFilter(w.d.oracle.filters.RoundFinalized(w.round));
    assert.deepEqual([pending, since], [20_000n, BigInt((await posted.getBlock()).timestamp)]);
    // a calm round once the grace is over: the pending 2x takes effect and the decayed 1.5x
    // follows at once (a fall); bob's 23,000.00 is below 24,750.00 now
    await increaseTime(RULE.grace);
    await postRound(w, UP);
    assert.deepEqual(w.margins, { mult: [15_000n, 10_000n], liqMult: [15_000n, 10_000n] });
    await settleLiquidations(w, [bob.account!]);
    assert.equal(w.state.getAccount(bob.account!).positions[0].size, 0n);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
  });
});
