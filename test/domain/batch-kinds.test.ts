import { signForcedRequest } from "../../prover/src/domain/forced.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import assert from "node:assert/strict";
import { Interface } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  BATCH_KIND_NAMES,
  BATCH_KINDS,
  batchPublicSignals,
  kindBinding,
  kindOfNumber,
} from "../../prover/src/domain/batch-kinds.ts";
import type { BatchRequest } from "../../prover/src/domain/batch.ts";
import { CIRCUIT_IDS, CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { ERROR_CODES, httpStatus } from "../../prover/src/domain/error-codes.ts";
import { genesisRoot } from "../../prover/src/domain/genesis.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { SAMPLE_DOMAIN, sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { loadArtifact } from "../../prover/src/chain/artifacts.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readSymbols } from "../../prover/src/proving/r1cs.ts";
import { prepareTestContracts } from "../helpers/chain.ts";
import { testCircuit } from "../helpers/circuit.ts";

const P = PARAM_SETS.test;
const ZERO = zeroIndices(P.markets);

/**
 * The vocabulary tables (domain/batch-kinds.ts, domain/circuits.ts) against what they
 * describe: the compiled circuits' public inputs, the witnesses of batches the engine
 * applies, and Settlement's compiled ABI.
 */
describe("batch kinds and circuits: one table each, checked against the circuits and Settlement", function () {
  before(prepareTestContracts);

  it("lists each circuit's public inputs in the compiled order, as many as publicCount says", async function () {
    for (const id of CIRCUIT_IDS) {
      const files = await testCircuit(id);
      const sym = readSymbols(files.sym);
      const spec = CIRCUITS[id];
      let wire = 1;
      for (const name of spec.publicInputs) {
        // an array input (payout[W]) takes one wire per element
        const element = sym.has(`main.${name}`) ? [`main.${name}`] : [];
        const elements = element.length
          ? element
          : [...sym.keys()].filter((k) => k.startsWith(`main.${name}[`));
        for (const e of elements) assert.equal(sym.get(e), wire++, `${id}: ${e}`);
      }
      assert.equal(wire - 1, spec.publicCount(P), `${id}: public count`);
    }
  });

  it("builds every kind's public inputs from its data exactly as the circuit's witness has them", async function () {
    const s = sampleExchange(P, 4);
    const [a, b, c] = s.traders;
    const marks = s.marks;
    const crash = [(marks[0] * 92n) / 100n, marks[1]];
    const thin = devKeyPair("thin");
    const requests: BatchRequest[] = [
      {
        kind: "deposits",
        deposits: [
          { account: 7n, amount: 500n, pubKey: thin.publicKey },
          { account: a.index, amount: 9n, pubKey: { x: 0n, y: 0n } },
        ],
        queueFrom: 0n,
      },
      {
        kind: "trades",
        trades: [simpleTrade(s, a, b, 0, 1500n, marks[0], { buy: 1n, sell: 1n })],
        marks,
        round: 1n,
        fundingIndices: ZERO,
        margins: oneX(marks.length),
        reduceOnly: 0n,
      },
      {
        kind: "withdrawals",
        withdrawals: [
          signWithdrawal(
            { account: c.index, nonce: 0n, amount: 5n, recipient: 0xabcdefn },
            c.keys.privateKey,
            s.domain,
          ),
        ],
        marks,
        round: 1n,
        fundingIndices: ZERO,
        margins: oneX(marks.length),
      },
      {
        kind: "liquidations",
        accounts: [a.index],
        marks: crash,
        round: 2n,
        fundingIndices: ZERO,
        margins: oneX(crash.length),
      },
      {
        kind: "forced",
        requests: [
          signForcedRequest(
            { account: c.index, amount: 7n, recipient: 0xabcdefn },
            1n,
            c.keys.privateKey,
            s.domain,
          ),
          // signed by another key: refused, and still bound to the queue
          signForcedRequest(
            { account: b.index, amount: 7n, recipient: 0xabcdefn },
            0n,
            c.keys.privateKey,
            s.domain,
          ),
        ],
        queueFrom: 11n,
        marks: crash,
        round: 2n,
        fundingIndices: ZERO,
        margins: oneX(crash.length),
      },
    ];
    const seen = new Set<string>();
    for (const req of requests) {
      const spec = BATCH_KINDS[req.kind];
      const applied = applyBatch(s.state, req, P);
      const binding =
        "marks" in req
          ? kindBinding(
              applied.data,
              priceConfigHash(s.state, req.marks, req.fundingIndices, oneX(req.marks.length)),
            )
          : undefined;
      const files = await testCircuit(spec.circuit);
      const witness = await calculateWitness(files.wasm, applied.signals);
      const expected = batchPublicSignals(applied.data, binding);
      assert.deepEqual(witness.slice(1, 1 + expected.length), expected, req.kind);
      seen.add(req.kind);
    }
    assert.deepEqual([...seen].sort(), [...BATCH_KIND_NAMES].sort());
  });

  it("names Settlement's submit functions, their arguments and verifier getters as compiled", function () {
    const settlement = new Interface(loadArtifact("Settlement").abi);
    for (const k of BATCH_KIND_NAMES) {
      const spec = BATCH_KINDS[k];
      const ours = new Interface([spec.submitAbi]).getFunction(spec.method)!;
      const theirs = settlement.getFunction(spec.method)!;
      assert.equal(ours.format("sighash"), theirs.format("sighash"), k);
      assert.deepEqual(
        ours.inputs.map((x) => x.name),
        theirs.inputs.map((x) => x.name),
        `${k}: argument names (the auditor reads calls by name)`,
      );
      assert.equal(kindOfNumber(spec.number), k);
    }
  });

  it("names Settlement's verifier getter of every circuit, each a field of its Config", function () {
    const settlement = new Interface(loadArtifact("Settlement").abi);
    const config = settlement.deploy.inputs[0].components!.map((c) => c.name);
    for (const id of CIRCUIT_IDS) {
      const getter = CIRCUITS[id].verifierGetter;
      assert.ok(settlement.getFunction(getter), `${id}: ${getter}`);
      assert.ok(config.includes(getter), `${id}: Config has no field ${getter}`);
    }
  });

  it("computes the genesis root the engine starts from", function () {
    for (const p of [PARAM_SETS.test, PARAM_SETS.demo])
      assert.equal(
        genesisRoot(p.depth, p.markets, devOwners()),
        ExchangeState.genesis(p.depth, sampleExchange(p, 0).markets, SAMPLE_DOMAIN, devOwners())
          .root,
      );
  });

  it("gives every error code an HTTP status, and 500 to a code it does not know", function () {
    assert.equal(httpStatus("ACCOUNT_NOT_FOUND"), 404);
    assert.equal(httpStatus("ORDER_NONCE_USED"), 409);
    assert.equal(httpStatus("AUTH_FAILED"), 401);
    assert.equal(httpStatus("NOT_A_CODE"), 500);
    for (const [code, v] of Object.entries(ERROR_CODES))
      assert.ok(v.http >= 400 && v.http < 600, `${code}: ${v.http}`);
  });
});
