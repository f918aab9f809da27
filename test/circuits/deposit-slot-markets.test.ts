import assert from "node:assert/strict";
import { mod } from "../../prover/src/domain/field.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { applyDeposits } from "../../prover/src/engine/transfers.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readSymbols } from "../../prover/src/proving/r1cs.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";

// DepositSlot (circuits/src/apply-deposits.circom) reads a new sub-account's isolation
// flag, 1 + its market, in 3 bits. The test and demo sets have two markets, whose flags
// (1 and 2) fit in 2 bits, so no test at those sets tells a 2-bit check from the right one;
// bench has four, and a sub-account isolated to market 3 has flag 4. This builds DepositSlot
// alone at bench's markets (on the test set's depth) and opens such an account through it,
// as the engine opens it.

const M = PARAM_SETS.bench.markets;
const D = PARAM_SETS.test.depth;
const ACCOUNT = 7n;

describe("DepositSlot at bench's four markets: a sub-account isolated to the last one", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe(
      `deposit_slot_m${M}`,
      "apply-deposits.circom",
      `DepositSlot(${D}, ${M})`,
      {
        wasm: true,
      },
    );
  });

  it("opens an account isolated to market 3 (flag 4) and moves the root and the queue as the engine does", async function () {
    assert.equal(M, 4);
    const s = ExchangeState.genesis(D, defaultMarkets(M), SAMPLE_DOMAIN, devOwners());
    const pubKey = devKeyPair("deposit-slot-markets").publicKey;
    const r = applyDeposits(
      s,
      [{ account: ACCOUNT, amount: 50_000n, pubKey, isolatedMarket: M - 1 }],
      0n,
      PARAM_SETS.test.deposits,
    );
    const slot = r.input.slots[0];
    assert.equal(slot.flag, BigInt(M));
    const str = (x: bigint) => String(mod(x));
    const w = await calculateWitness(probe.wasm!, {
      enabled: str(slot.enabled),
      account: str(slot.account),
      amount: str(slot.amount),
      pkX: str(slot.pkX),
      pkY: str(slot.pkY),
      isNew: str(slot.isNew),
      flag: str(slot.flag),
      ax: str(slot.leafAx),
      ay: str(slot.leafAy),
      balance: str(slot.leafBalance),
      word: slot.leafWord.map(str),
      notional: slot.leafNotional.map(str),
      siblings: slot.siblings.map((level) => level.map(str)),
      rootIn: str(r.input.oldRoot),
      queueIn: str(r.input.queueFrom),
    });
    const sym = readSymbols(probe.sym!);
    assert.equal(w[sym.get("main.rootOut")!], s.root, "the root after the deposit");
    assert.equal(w[sym.get("main.queueOut")!], r.input.queueTo, "the Vault's queue hash");
    assert.equal(s.getAccount(ACCOUNT).isolatedMarket, M - 1);
  });
});
