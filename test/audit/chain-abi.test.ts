import assert from "node:assert/strict";
import { Interface } from "ethers";
import { loadArtifact } from "../../prover/src/chain/artifacts.ts";
import { SETTLEMENT_ABI, VAULT_ABI } from "../../prover/src/audit/chain.ts";
import { FUNDING_ABI, VAULT_LIMIT_ABI } from "../../prover/src/audit/deployment-checks.ts";
import { prepareTestContracts } from "../helpers/chain.ts";

/**
 * What the auditor writes out of Settlement's and the Vault's ABIs (it needs no compiled
 * artifacts of the operator's) must be what the contracts compile to: each function and
 * event it reads exists, with the compiled signature and indexed arguments.
 */
describe("audit: the auditor's ABI fragments are the contracts'", function () {
  before(async function () {
    await prepareTestContracts();
  });

  function compare(fragments: readonly string[], contract: string): string[] {
    const ours = new Interface(fragments);
    const theirs = new Interface(loadArtifact(contract).abi);
    const missing: string[] = [];
    ours.forEachFunction((f) => {
      const t = theirs.getFunction(f.name);
      if (!t) missing.push(f.name);
      else assert.equal(f.format("sighash"), t.format("sighash"), `${contract}.${f.name}`);
    });
    ours.forEachEvent((e) => {
      const t = theirs.getEvent(e.name);
      if (!t) missing.push(e.name);
      else {
        assert.equal(e.format("sighash"), t.format("sighash"), `${contract} event ${e.name}`);
        assert.deepEqual(
          e.inputs.map((i) => Boolean(i.indexed)),
          t.inputs.map((i) => Boolean(i.indexed)),
          `${contract} event ${e.name}: indexed arguments`,
        );
      }
    });
    return missing;
  }

  it("reads Settlement's, the Vault's and Funding's functions and events with their compiled signatures", function () {
    assert.deepEqual(compare(SETTLEMENT_ABI, "Settlement"), []);
    assert.deepEqual(compare(VAULT_ABI, "Vault"), []);
    assert.deepEqual(compare(VAULT_LIMIT_ABI, "Vault"), []);
    assert.deepEqual(compare(FUNDING_ABI, "Funding"), []);
  });
});
