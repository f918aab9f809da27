import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  inputsHash,
  readReport,
  type MutationReport,
} from "../../prover/src/verify/mutation-run.ts";

// A mutation run takes hours, so its report must outlive edits that cannot change its
// verdicts, and only those: the determinism stage's verdicts do not depend on the tests.
const stored = (): MutationReport => ({
  sourceHash: "src1",
  testsHash: "tests1",
  baseline: { "test/circuits/order.test.ts": { deps: ["order.circom"], seconds: 40 } },
  mutants: {},
  results: {
    "order.circom:10:unconstrain": { outcome: "killed", stage: "determinism", seconds: 9 },
    "order.circom:12:delete": { outcome: "invalid", stage: "determinism", seconds: 2 },
    "order.circom:20:delete": { outcome: "killed", stage: "tests", seconds: 300 },
    "order.circom:21:narrow": { outcome: "survived", stage: "tests", seconds: 400 },
  },
  pending: { "order.circom:30:widen": "determinism (order, test) passed" },
});

describe("mutation runner: the report across edits", function () {
  let dir: string;
  let file: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-mutation-"));
    file = path.join(dir, "report.json");
    fs.writeFileSync(file, JSON.stringify(stored()));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps every verdict for the same sources, tools and tests", function () {
    const r = readReport(file, "src1", "tests1");
    assert.deepEqual(r, stored());
  });

  it("drops the tests' verdicts and baseline when the tests change, and keeps the stage's", function () {
    const r = readReport(file, "src1", "tests2");
    assert.equal(r.testsHash, "tests2");
    assert.deepEqual(Object.keys(r.results).sort(), [
      "order.circom:10:unconstrain",
      "order.circom:12:delete",
    ]);
    assert.deepEqual(r.baseline, {});
    assert.deepEqual(r.pending, stored().pending, "pending = not killed by the stage: still true");
  });

  it("starts afresh when the sources or the stage's tools change", function () {
    const r = readReport(file, "src2", "tests1");
    assert.deepEqual(r, {
      sourceHash: "src2",
      testsHash: "tests1",
      baseline: {},
      mutants: {},
      results: {},
    });
  });

  it("starts afresh with no report, or an unreadable one", function () {
    assert.deepEqual(readReport(path.join(dir, "none.json"), "s", "t").results, {});
    fs.writeFileSync(file, "{ cut short");
    assert.deepEqual(readReport(file, "src1", "tests1").results, {});
  });

  it("hashes every file under a folder, so a change anywhere in it shows", function () {
    const one = inputsHash(["circuits/src"]);
    assert.equal(inputsHash(["circuits/src"]), one, "stable");
    assert.notEqual(inputsHash(["circuits/src", "test/helpers"]), one);
    assert.notEqual(inputsHash(["circuits/src/merkle.circom"]), one);
  });
});
