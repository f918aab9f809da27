import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { INSURANCE_ACCOUNT, FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import type { Account } from "../../prover/src/domain/account.ts";
import { isLiquidatable } from "../../prover/src/engine/liquidations.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  fundMove,
  proveLiquidations,
  proveTrades,
  proveWithdrawals,
  settleDeposits,
  setupWorld,
  type Participant,
  type ProvenBatch,
  type World,
  devAttestations,
} from "../../prover/src/dev/onchain.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const OTHER = 3_000_00n; // market 1 stays put
const HIGH = 60_000_00n;
const LOW = 50_000_00n;

/**
 * The price rule of Settlement (trades, withdrawals and liquidations use the latest oracle
 * round, or one superseded less than roundGrace ago, never an older one than the last
 * batch used), attacked with real proofs on the in-process chain: the two attacks of the
 * issue, the grace path, rounds going backwards, and a withdrawal at a superseded round.
 */
describe("the price rule: batches use the latest oracle round (real proofs, test parameters)", function () {
  let w: World;
  let rich: Participant;
  let thin: Participant;
  let carol: Participant;
  let grace: number;
  let late: ProvenBatch<"trades">;
  let undoLate: () => void;
  let liquidation: ProvenBatch<"liquidations">;
  after(terminateCurve);

  /** The engine's accounts now, to put back after a batch the chain refused. */
  function keep(accounts: readonly bigint[]): () => void {
    const saved = accounts.map((a) => [a, structuredClone(w.state.getAccount(a))] as const);
    return () => {
      for (const [a, acct] of saved) w.state.setAccount(a, acct as Account);
    };
  }

  const chainRoot = async () => BigInt(await w.d.settlement.getFunction("stateRoot")());
  const submit = async (b: ProvenBatch) =>
    submitBatch(w.d.settlement, b.data, b.proof.proof, await devAttestations(w.d, b.data));
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
  /** `buyer` buys `qty` of `market` from `seller` at `price`, with fresh orders. */
  const trade = (
    buyer: Participant,
    seller: Participant,
    market: number,
    price: bigint,
    nonces: [bigint, bigint],
    takerIsBuyer = true,
  ) => ({
    buy: order(w, t(buyer), {
      market,
      side: "buy",
      nonce: nonces[0],
      amount: 1n,
      limitPrice: price,
    }),
    sell: order(w, t(seller), {
      market,
      side: "sell",
      nonce: nonces[1],
      amount: 1n,
      limitPrice: price,
    }),
    qty: 1n,
    price,
    takerIsBuyer,
  });

  before(async function () {
    await prepareTestContracts();
    const s = await signers(4);
    w = await setupWorld(P, s[0], [s[1], s[2], s[3]]);
    [rich, thin, carol] = w.participants;
    grace = Number(await w.d.settlement.getFunction("roundGrace")());
    await deposit(w, rich, 1_000_000_00n);
    // 6,100.00: one lot at 60,000.00 needs 6,000.00 of initial margin and a 30.00 fee
    await deposit(w, thin, 610_000n);
    await settleDeposits(w);
    // 310.00: one lot of market 1 at 3,000.00 needs 300.00 and a 1.50 fee
    await deposit(w, carol, 31_000n);
    // the insurance fund, topped up to cover a liquidation under water
    await deposit(w, { ...rich, account: INSURANCE_ACCOUNT }, 5_000_000n);
    await settleDeposits(w);
  });

  it("lands a trade batch proven at the previous round while the newer round is younger than the grace", async function () {
    await postRound(w, [HIGH, OTHER]);
    const r1 = w.round;
    // two batches at round 1: carol buys a lot of market 1; thin buys a lot of market 0
    // at 60,000.00, which initial margin allows at round 1's prices
    const first = await proveTrades(w, [trade(carol, rich, 1, OTHER, [1n, 1n])]);
    undoLate = keep([thin.account!, rich.account!, FEE_ACCOUNT]);
    late = await proveTrades(w, [trade(thin, rich, 0, HIGH, [1n, 2n])]);
    await postRound(w, [LOW, OTHER]);
    await submit(first);
    assert.equal(await w.d.settlement.getFunction("lastRoundUsed")(), r1);
    assert.equal(await chainRoot(), first.data.newRoot);
  });

  it("refuses a trade margined at a stale higher round once the lower round is older than the grace (the buyer would be under water)", async function () {
    // at the latest round the buyer's equity is negative: the insurance fund would pay
    assert.ok(equity(w.state.getAccount(thin.account!), [LOW, OTHER]) < 0n);
    await increaseTime(grace + 1);
    assert.deepEqual(await refusal(w.d.settlement, submit(late)), {
      name: "RoundSuperseded",
      args: [late.data.round, w.round],
    });
    undoLate();
    assert.equal(w.state.root, await chainRoot());
  });

  it("refuses a liquidation at an older crash round after a newer round shows the account healthy: liquidations use the latest round, with no grace", async function () {
    // market 1 falls to 2,500.00: carol is below maintenance, a valid liquidation proof
    await postRound(w, [LOW, 2_500_00n]);
    const crash = w.round;
    const undo = keep([carol.account!, INSURANCE_ACCOUNT, FEE_ACCOUNT]);
    const before = structuredClone(w.state.getAccount(carol.account!)) as Account;
    assert.ok(isLiquidatable(before, [LOW, 2_500_00n], w.markets));
    // with the fund owner's move into ETH's compartment, which pays carol's shortfall
    liquidation = await proveLiquidations(
      w,
      [carol.account!],
      undefined,
      fundMove(w, 1, 1_000_000n),
    );
    // the next round shows carol healthy again
    await postRound(w, [LOW, OTHER]);
    assert.equal(isLiquidatable(before, [LOW, OTHER], w.markets), false);
    // that round is only seconds old: a trade batch would still be within its grace
    assert.deepEqual(await refusal(w.d.settlement, submit(liquidation)), {
      name: "RoundSuperseded",
      args: [crash, w.round],
    });
    undo();
    assert.equal(w.state.root, await chainRoot());
  });

  it("refuses a batch at an older round than the last batch used: rounds never go backwards", async function () {
    // carol sells her lot back at the latest round; the batch lands there
    await submit(await proveTrades(w, [trade(rich, carol, 1, OTHER, [3n, 2n], false)]));
    assert.equal(await w.d.settlement.getFunction("lastRoundUsed")(), w.round);
    // the liquidation proven at the crash round is refused for going back, first of all
    assert.deepEqual(await refusal(w.d.settlement, submit(liquidation)), {
      name: "RoundBehind",
      args: [liquidation.data.round, w.round],
    });
  });

  it("refuses a withdrawal proven at a round superseded for longer than the grace", async function () {
    const undo = keep([rich.account!]);
    const recipient = BigInt(await rich.signer.getAddress());
    const sw = signWithdrawal(
      { account: rich.account!, nonce: 0n, amount: 100n, recipient },
      rich.keys.privateKey,
      w.domain,
    );
    const wd = await proveWithdrawals(w, [sw]);
    const at = w.round;
    await postRound(w, [LOW + 1n, OTHER]);
    await increaseTime(grace + 1);
    assert.deepEqual(await refusal(w.d.settlement, submit(wd)), {
      name: "RoundSuperseded",
      args: [at, w.round],
    });
    undo();
    assert.equal(w.state.root, await chainRoot());
  });
});
