import assert from "node:assert/strict";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { sampleTrades } from "../../prover/src/dev/demo.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import {
  settleTradesPublicSignals,
  toSettleTradesSignals,
} from "../../prover/src/domain/inputs.ts";
import { ensureDevKeys } from "../../prover/src/proving/keys.ts";
import { circuitFiles } from "../../prover/src/proving/paths.ts";
import {
  prove,
  readVerificationKey,
  terminateCurve,
  verify,
} from "../../prover/src/proving/prover.ts";

const P = PARAM_SETS.test;

describe("Groth16 proof of a test batch with INSECURE development keys", function () {
  after(terminateCurve);

  it("proves a settled batch, verifies it, and rejects tampered or aliased public inputs", async function () {
    const keys = await ensureDevKeys("settle_trades", P);
    const s = sampleExchange(P, 4);
    const batch = settleTrades(s.state, sampleTrades(s, P.batch), s.marks, P.batch);
    const res = await prove(
      circuitFiles("settle_trades", P).wasm,
      keys.devZkey,
      toSettleTradesSignals(batch.input),
    );
    assert.deepEqual(res.publicSignals, settleTradesPublicSignals(batch.input).map(String));
    const vkey = readVerificationKey(keys.devVkey);
    assert.equal(vkey.nPublic, 4);
    assert.equal(await verify(vkey, res.publicSignals, res.proof), true);
    for (let i = 0; i < res.publicSignals.length; i++) {
      const bumped = [...res.publicSignals];
      bumped[i] = (BigInt(bumped[i]) + 1n).toString();
      assert.equal(await verify(vkey, bumped, res.proof), false, `public input ${i} tampered`);
      const aliased = [...res.publicSignals];
      aliased[i] = (BigInt(aliased[i]) + FIELD_MODULUS).toString();
      assert.equal(await verify(vkey, aliased, res.proof), false, `public input ${i} + r`);
    }
    const badProof = { ...res.proof, pi_a: [res.proof.pi_b[0][0], ...res.proof.pi_a.slice(1)] };
    assert.equal(await verify(vkey, res.publicSignals, badProof), false);
  });
});
