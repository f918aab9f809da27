import assert from "node:assert/strict";
import { FLAG_BITS } from "../../prover/src/domain/constants.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { transferMessage, type Transfer } from "../../prover/src/domain/sub-accounts.ts";
import { oneX, scaledMarkets } from "../../prover/src/domain/volatility.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { processWithdrawals } from "../../prover/src/engine/transfers.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readSymbols } from "../../prover/src/proving/r1cs.ts";

// WithdrawalSlot (circuits/src/process-withdrawals.circom, section A) reads a transfer's
// signed destination flag, 0 for a cross account or 1 + market for a sub-account, in
// FLAG_BITS bits (3). At the test and demo sets (two markets) every flag is 0..2 and needs
// no more than 2 bits, so no batch there tells a check one bit narrower from the right one;
// bench has four markets, and its sub-accounts isolated to market 3 have flag 4, FLAG_BITS'
// top bit. The narrower check would refuse every transfer into such a sub-account: its
// owner could fund it only by a deposit.
// This builds WithdrawalSlot alone at bench's markets (on the test set's depth), feeds it
// the engine's slot for an honest transfer into a flag-4 account, and checks it moves the
// root as the engine does and pays nothing.

const M = PARAM_SETS.bench.markets;
const PARAMS = { ...PARAM_SETS.test, markets: M, withdrawals: 1 };
const SUB = 7n;

describe("WithdrawalSlot at bench's four markets: a transfer into a sub-account isolated to the last one", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe(
      `withdrawal_slot_m${M}`,
      "process-withdrawals.circom",
      `WithdrawalSlot(${PARAMS.depth}, ${M})`,
      { wasm: true },
    );
  });

  it("credits account 7, isolated to market 3 (flag 4), from its owner's cross account, as the engine does", async function () {
    assert.equal(M, 4);
    const s = sampleExchange(PARAMS, 1, 1_000_000n);
    const owner = s.traders[0];
    s.state.openAccount(SUB, owner.keys.publicKey, 0n, M - 1);
    const t: Transfer = {
      from: owner.index,
      to: SUB,
      nonce: 0n,
      amount: 250_000n,
      isolatedMarket: M - 1,
    };
    const st = {
      transfer: t,
      signature: sign(owner.keys.privateKey, transferMessage(t, s.domain)),
    };
    const r = processWithdrawals(s.state, [st], s.marks, PARAMS.withdrawals);
    const slot = r.input.slots[0];
    assert.equal(slot.isTransfer, 1n);
    assert.equal(slot.toFlag, BigInt(M), "the flag of market 3");
    assert.equal(slot.toFlag >> BigInt(FLAG_BITS - 1), 1n, "it needs FLAG_BITS' top bit");
    const markets = scaledMarkets(s.state.markets, oneX(M));
    const str = (x: bigint) => String(mod(x));
    const strs = (xs: readonly bigint[]) => xs.map(str);
    const levels = (xs: readonly (readonly bigint[])[]) => xs.map(strs);
    const w = await calculateWitness(probe.wasm!, {
      enabled: str(slot.enabled),
      account: str(slot.account),
      amount: str(slot.amount),
      recipient: str(slot.recipient),
      sigR8x: str(slot.sigR8x),
      sigR8y: str(slot.sigR8y),
      sigS: str(slot.sigS),
      ax: str(slot.leafAx),
      ay: str(slot.leafAy),
      balance: str(slot.leafBalance),
      word: strs(slot.leafWord),
      notional: strs(slot.leafNotional),
      siblings: levels(slot.siblings),
      mark: strs(r.input.mark),
      index: strs(r.input.fundingIndex),
      imBps: markets.map((m) => str(m.initialMarginBps)),
      mmBps: markets.map((m) => str(m.maintenanceMarginBps)),
      isTransfer: str(slot.isTransfer),
      to: str(slot.to),
      toFlag: str(slot.toFlag),
      toAx: str(slot.toAx),
      toAy: str(slot.toAy),
      toBalance: str(slot.toBalance),
      toWord: strs(slot.toWord),
      toNotional: strs(slot.toNotional),
      toSiblings: levels(slot.toSiblings),
      rootIn: str(r.oldRoot),
      domain: str(r.input.domain),
      fundFloor: str(r.input.fundFloor),
    });
    const sym = readSymbols(probe.sym!);
    assert.equal(w[sym.get("main.rootOut")!], r.newRoot, "the root after the transfer");
    assert.equal(w[sym.get("main.payout")!], 0n, "nothing leaves the Vault");
    assert.equal(s.state.getAccount(SUB).collateral, 250_000n);
    assert.equal(s.state.getAccount(SUB).isolatedMarket, M - 1);
  });
});
