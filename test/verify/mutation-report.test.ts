import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../prover/src/proving/paths.ts";
import { runModule } from "../helpers/module-process.ts";
import {
  importClosure,
  inputsHash,
  namedTestsHash,
  STAGE_INPUTS,
  TESTS_ALSO_READ,
  readReport,
  writeReport,
  type MutationReport,
} from "../../prover/src/verify/mutation-report.ts";

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
  pending: {
    "order.circom:30:widen": "determinism (order, test) passed",
    "order.circom:31:delete":
      "determinism (order, test) passed; tests (test/circuits/order.test.ts) passed",
  },
});

/** Per test, a scratch folder holding `stored()` as its report; `file` is the report's path. */
function scratchReport(): { file: string } {
  const at = { file: "" };
  let dir = "";
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-mutation-"));
    at.file = path.join(dir, "report.json");
    fs.writeFileSync(at.file, JSON.stringify(stored()));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  return at;
}

describe("mutation runner: the report across edits", function () {
  const scratch = scratchReport();

  it("keeps every verdict for the same sources, tools and tests", function () {
    const r = readReport(scratch.file, "src1", "tests1");
    assert.deepEqual(r, stored());
  });

  it("drops the tests' verdicts and baseline when the tests change, and keeps the stage's", function () {
    const r = readReport(scratch.file, "src1", "tests2");
    assert.equal(r.testsHash, "tests2");
    assert.deepEqual(Object.keys(r.results).sort(), [
      "order.circom:10:unconstrain",
      "order.circom:12:delete",
    ]);
    assert.deepEqual(r.baseline, {});
    // pending = not killed by the stage: still true; what the old tests passed is dropped
    assert.deepEqual(r.pending, {
      "order.circom:30:widen": "determinism (order, test) passed",
      "order.circom:31:delete": "determinism (order, test) passed",
    });
  });

  it("keeps what this run decided again over another run's older verdict", function () {
    const mine = readReport(scratch.file, "src1", "tests1");
    // this run takes the killed 20:delete again (--again) and leaves it pending; the file
    // still has the old verdict, which must not come back
    delete mine.results["order.circom:20:delete"];
    mine.pending!["order.circom:20:delete"] = "determinism (order, test) inconclusive";
    const replaced = stored().results["order.circom:20:delete"];
    writeReport(scratch.file, mine, () => "h", new Map([["order.circom:20:delete", replaced]]));
    const r = readReport(scratch.file, "src1", "tests1");
    assert.equal(r.results["order.circom:20:delete"], undefined);
    assert.equal(r.pending!["order.circom:20:delete"], "determinism (order, test) inconclusive");
  });

  it("replaces this run's copy of a kill whose tests changed since with the kill the new tests filed", function () {
    // a long run read a kill by t.ts at its start; t.ts (or what it imports) changed, and
    // another run filed the kill again under the new hash: the old copy in memory must not
    // be written back over it (it was, until 2026-12-07: 24 kills lost so, after an engine
    // fix changed the tests' hashes)
    const old = {
      outcome: "killed",
      stage: "tests",
      seconds: 9,
      tests: ["t.ts"],
      testsHash: "v1",
    } as const;
    const fresh = { ...old, seconds: 10, testsHash: "v2" } as const;
    const long = readReport(scratch.file, "src1", "tests1");
    long.results["order.circom:60:delete"] = old;
    const other = readReport(scratch.file, "src1", "tests1");
    other.results["order.circom:60:delete"] = fresh;
    writeReport(scratch.file, other, () => "v2");
    writeReport(scratch.file, long, () => "v2");
    assert.deepEqual(
      readReport(scratch.file, "src1", "tests1").results["order.circom:60:delete"],
      fresh,
    );
    // while its tests are unchanged, this run's own verdict stands
    const mine = { ...old, testsHash: "v2", seconds: 11 } as const;
    long.results["order.circom:60:delete"] = mine;
    writeReport(scratch.file, long, () => "v2");
    assert.deepEqual(
      readReport(scratch.file, "src1", "tests1").results["order.circom:60:delete"],
      mine,
    );
  });

  it("takes in another run's kill of a mutant this run left pending, made since", function () {
    // a determinism run leaves 30:widen pending; a tests run beside it kills it; the
    // determinism run's next write must not drop the kill (it did until 2026-12-07: 18
    // kills of a tests run lost so)
    const det = readReport(scratch.file, "src1", "tests1");
    det.pending!["order.circom:30:widen"] = "determinism (order, test) passed";
    const own = new Map([["order.circom:30:widen", undefined]]);
    writeReport(scratch.file, det, () => "h", own);
    const tests = readReport(scratch.file, "src1", "tests1");
    const kill = { outcome: "killed", stage: "tests", seconds: 50 } as const;
    tests.results["order.circom:30:widen"] = kill;
    delete tests.pending!["order.circom:30:widen"];
    writeReport(scratch.file, tests);
    writeReport(scratch.file, det, () => "h", own);
    const r = readReport(scratch.file, "src1", "tests1");
    assert.deepEqual(r.results["order.circom:30:widen"], kill);
    assert.equal(r.pending!["order.circom:30:widen"], undefined);
  });

  it("keeps a kill by named test files while they and what they read are the same", function () {
    const r0 = stored();
    const named = ["test/circuits/a.test.ts"];
    r0.results["order.circom:22:delete"] = {
      ...{ outcome: "killed", stage: "tests", seconds: 30, tests: named },
      testsHash: "a1",
    };
    r0.results["order.circom:23:delete"] = {
      ...{ outcome: "killed", stage: "tests", seconds: 30, tests: ["test/circuits/b.test.ts"] },
      testsHash: "b1",
    };
    r0.baseline = {
      "test/circuits/a.test.ts": { deps: ["order.circom"], seconds: 9, testsHash: "a1" },
      "test/circuits/b.test.ts": { deps: ["order.circom"], seconds: 9, testsHash: "b1" },
    };
    fs.writeFileSync(scratch.file, JSON.stringify(r0));
    // b.test.ts changed, a.test.ts did not
    const hashOf = (t: readonly string[]) => (t[0].includes("/a.") ? "a1" : "b2");
    const r = readReport(scratch.file, "src1", "tests2", hashOf);
    assert.deepEqual(Object.keys(r.results).sort(), [
      "order.circom:10:unconstrain",
      "order.circom:12:delete",
      "order.circom:22:delete",
    ]);
    assert.deepEqual(Object.keys(r.baseline), ["test/circuits/a.test.ts"]);
  });

  it("starts afresh when the sources or the stage's tools change", function () {
    const r = readReport(scratch.file, "src2", "tests1");
    assert.deepEqual(r, {
      sourceHash: "src2",
      testsHash: "tests1",
      baseline: {},
      mutants: {},
      results: {},
    });
  });

  it("starts afresh with no report, or an unreadable one", function () {
    assert.deepEqual(
      readReport(path.join(path.dirname(scratch.file), "none.json"), "s", "t").results,
      {},
    );
    fs.writeFileSync(scratch.file, "{ cut short");
    assert.deepEqual(readReport(scratch.file, "src1", "tests1").results, {});
  });

  it("hashes every file under a folder, so a change anywhere in it shows", function () {
    const one = inputsHash(["circuits/src"]);
    assert.equal(inputsHash(["circuits/src"]), one, "stable");
    assert.notEqual(inputsHash(["circuits/src", "test/helpers"]), one);
    assert.notEqual(inputsHash(["circuits/src/merkle.circom"]), one);
  });

  it("drops what a test file decided once it is renamed or deleted", function () {
    assert.equal(namedTestsHash(["test/circuits/no-such.test.ts"]), "missing");
    assert.notEqual(namedTestsHash(["test/circuits/exit.test.ts"]), "missing");
    // a kill filed under a file that was already gone ("missing" then, "missing" now) is
    // no verdict: it is dropped with the tests' other verdicts, not kept as still valid
    const r = stored();
    const gone = ["test/circuits/no-such.test.ts"];
    r.results["order.circom:40:delete"] = {
      outcome: "killed",
      stage: "tests",
      seconds: 1,
      tests: gone,
      testsHash: "missing",
    };
    r.baseline[gone[0]] = { deps: ["order.circom"], seconds: 1, testsHash: "missing" };
    fs.writeFileSync(scratch.file, JSON.stringify(r));
    const next = readReport(scratch.file, "src1", "tests2");
    assert.equal(next.results["order.circom:40:delete"], undefined);
    assert.equal(next.baseline[gone[0]], undefined);
  });

  it("drops what a test decided when a file it imports is gone, without failing to hash", function () {
    const rel = path.join("artifacts", `closure-${process.pid}`);
    const abs = path.join(ROOT, rel);
    fs.mkdirSync(abs, { recursive: true });
    try {
      fs.writeFileSync(path.join(abs, "a.test.ts"), 'import { h } from "./helper.ts";\n');
      fs.writeFileSync(path.join(abs, "helper.ts"), "export const h = 1;\n");
      const whole = namedTestsHash([`${rel}/a.test.ts`]);
      assert.notEqual(whole, "missing");
      fs.renameSync(path.join(abs, "helper.ts"), path.join(abs, "helper2.ts"));
      assert.deepEqual(importClosure([`${rel}/a.test.ts`]), [
        `${rel}/a.test.ts`,
        `${rel}/helper.ts`,
      ]);
      assert.equal(namedTestsHash([`${rel}/a.test.ts`]), "missing");
      assert.notEqual(inputsHash([`${rel}/a.test.ts`, `${rel}/helper.ts`]), whole);
    } finally {
      fs.rmSync(abs, { recursive: true, force: true });
    }
  });

  it("hashes the lockfile and the native witness code with the tests: a verdict rests on what they run", function () {
    const t = ["test/circuits/exit.test.ts"];
    assert.deepEqual(TESTS_ALSO_READ, ["package-lock.json", "native/src", "native/witness"]);
    assert.equal(namedTestsHash(t), inputsHash([...importClosure(t), ...TESTS_ALSO_READ]));
    assert.notEqual(namedTestsHash(t), inputsHash(importClosure(t)));
  });

  it("hashes for the stage what it runs and imports, not the runner around it", function () {
    const stage = importClosure(STAGE_INPUTS);
    for (const f of [
      "scripts/verify-circuits.ts",
      "prover/src/verify/smt.ts",
      "prover/src/verify/explained.ts",
      "prover/src/domain/circuits.ts",
      "prover/src/proving/build.ts",
    ])
      assert.ok(stage.includes(f), f);
    assert.ok(!stage.includes("prover/src/verify/mutation-run.ts"));
    assert.ok(!stage.includes("prover/src/verify/mutation-report.ts"));
  });

  it("takes in what another run on the same report wrote since, and loses none of its own", function () {
    const mine = readReport(scratch.file, "src1", "tests1");
    // another run (other mutants) decides the pending widen and leaves a mutant pending
    const other = readReport(scratch.file, "src1", "tests1");
    other.results["order.circom:30:widen"] = { outcome: "killed", stage: "tests", seconds: 50 };
    delete other.pending!["order.circom:30:widen"];
    other.pending!["order.circom:40:delete"] = "determinism (order, test) passed";
    writeReport(scratch.file, other);
    mine.results["order.circom:50:delete"] = { outcome: "killed", stage: "tests", seconds: 60 };
    writeReport(scratch.file, mine);
    const r = readReport(scratch.file, "src1", "tests1");
    assert.deepEqual(Object.keys(r.results).sort(), [
      "order.circom:10:unconstrain",
      "order.circom:12:delete",
      "order.circom:20:delete",
      "order.circom:21:narrow",
      "order.circom:30:widen",
      "order.circom:50:delete",
    ]);
    assert.deepEqual(Object.keys(r.pending!).sort(), [
      "order.circom:31:delete",
      "order.circom:40:delete",
    ]);
    assert.deepEqual(mine, r, "the writer's copy is what it wrote");
    // a run on newer tests takes in the stage's verdicts, not the old tests' (unnamed)
    writeReport(scratch.file, { ...stored(), testsHash: "tests2", results: {}, pending: {} });
    assert.deepEqual(Object.keys(readReport(scratch.file, "src1", "tests2").results).sort(), [
      "order.circom:10:unconstrain",
      "order.circom:12:delete",
    ]);
    // a run on other sources replaces the report
    writeReport(scratch.file, { ...stored(), sourceHash: "src2", results: {}, pending: {} });
    assert.deepEqual(readReport(scratch.file, "src2", "tests1").results, {});
  });

  it("writes its maps in key order, so the committed file's diff is what a run changed", function () {
    const r = {
      ...stored(),
      results: Object.fromEntries(Object.entries(stored().results).reverse()),
    };
    writeReport(scratch.file, r);
    const text = fs.readFileSync(scratch.file, "utf8");
    const ids = Object.keys((JSON.parse(text) as MutationReport).results);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(readReport(scratch.file, "src1", "tests1").results, stored().results);
  });
});

// Two runs filing into one report (a determinism run beside a tests run) each read the file,
// merge and rename: without a lock, one's rename between the other's read and rename loses
// the other's verdicts.
describe("mutation runner: two runs filing into one report", function () {
  const scratch = scratchReport();

  /** A process that files `n` verdicts of its own, one write each, as a run does. */
  const filer = (tag: string, n: number) =>
    runModule(
      `
        import { readReport, writeReport } from ${JSON.stringify(path.join(ROOT, "prover/src/verify/mutation-report.ts"))};
        import fs from "node:fs";
        const r = readReport(${JSON.stringify(scratch.file)}, "src1", "tests1");
        // all start together: the race is in the first writes as much as in the last
        while (!fs.existsSync(${JSON.stringify(`${scratch.file}.go`)})) await new Promise((t) => setTimeout(t, 5));
        for (let i = 0; i < ${n}; i++) {
          r.results["${tag}.circom:" + i + ":delete"] = { outcome: "killed", stage: "determinism", seconds: 1 };
          writeReport(${JSON.stringify(scratch.file)}, r);
        }`,
      tag,
    );

  it("loses none of either run's verdicts, and leaves no lock", async function () {
    this.timeout(60_000);
    const n = 300;
    const runs = Promise.all([filer("a", n), filer("b", n), filer("c", n)]);
    // the three load tsx before they race (about a second each)
    await new Promise((t) => setTimeout(t, 3_000));
    fs.writeFileSync(`${scratch.file}.go`, "");
    await runs;
    const r = readReport(scratch.file, "src1", "tests1");
    for (const tag of ["a", "b", "c"])
      for (let i = 0; i < n; i++)
        assert.ok(r.results[`${tag}.circom:${i}:delete`], `${tag}.circom:${i}:delete is on file`);
    assert.ok(!fs.existsSync(`${scratch.file}.lock`));
  });
});
