import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../prover/src/proving/paths.ts";
import {
  importClosure,
  inputsHash,
  namedTestsHash,
  STAGE_INPUTS,
} from "../../prover/src/verify/mutation-report.ts";
import {
  allMutants,
  firstFailure,
  MutationError,
  removeLeftovers,
  RULES_VERSION,
  runMutants,
  sourceHashNow,
  STAGE_PACKAGES,
  testsStage,
} from "../../prover/src/verify/mutation-run.ts";

// `--tests` names the files the tests stage runs; a name it cannot use is refused before any
// baseline or mutant runs, and the report is not touched.
describe("mutation runner: the test files a run names", function () {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-mutation-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const refused = (tests: string[], why: RegExp) =>
    assert.rejects(
      runMutants({ tests, reportFile: path.join(dir, "report.json"), ids: [] }),
      (e: unknown) =>
        e instanceof MutationError && e.code === "MUTATION_BAD_TESTS" && why.test(e.message),
    );

  it("refuses the determinism test: its check is the stage's, and a solver timeout is no kill", async function () {
    await refused(["test/circuits/determinism.test.ts"], /determinism stage's check/);
  });

  it("refuses an empty list (every mutant would pass no test and be filed a survivor)", async function () {
    await refused([], /names no test file/);
  });

  it("refuses to start on a report made for other sources, and leaves it as it is", async function () {
    const file = path.join(dir, "report.json");
    const other = JSON.stringify({ sourceHash: "other", results: { a: {} }, mutants: {} });
    fs.writeFileSync(file, other);
    await assert.rejects(
      runMutants({ reportFile: file, ids: [] }),
      (e: unknown) =>
        e instanceof MutationError &&
        e.code === "MUTATION_OTHER_SOURCES" &&
        /1 verdicts\) was made for other circuit sources.*--fresh/.test(e.message),
    );
    assert.equal(fs.readFileSync(file, "utf8"), other);
  });

  it("refuses a file that is not a circuit test", async function () {
    await refused(["test/circuits/no-such.test.ts"], /is not a test file of test\/circuits/);
    await refused(["test/verify/mutation-report.test.ts"], /is not a test file/);
    assert.equal(fs.existsSync(path.join(dir, "report.json")), false);
  });
});

// The tests stage runs the files one by one and files a verdict under the file that gave it,
// with that file's hash, so that a kill holds while that file is unchanged, whatever the
// other tests become. Scratch test files (not circuit tests) stand in for the circuit tests.
// A selection that names nothing real is refused by name: a misspelt file or template must not
// run an empty selection (or, before the flags were strict, every mutant) and look done.
describe("mutation runner: the mutants a run selects", function () {
  const refused = (opts: Parameters<typeof allMutants>[0], why: RegExp) =>
    assert.throws(
      () => allMutants(opts),
      (e: unknown) =>
        e instanceof MutationError && e.code === "MUTANT_UNKNOWN" && why.test(e.message),
    );

  it("refuses a file that is not in circuits/src, a template no file has, and an unknown id", function () {
    refused({ files: ["merkle.circom", "nope.circom"] }, /no such circuit file.*nope\.circom/);
    refused({ files: ["circuits/src/merkle.circom"] }, /basename/);
    refused({ templates: ["PathPosition", "Nope"] }, /template named Nope$/);
    refused({ files: ["merkle.circom"], templates: ["LeafHash"] }, /LeafHash in merkle\.circom/);
    refused({ ids: ["merkle.circom:1:delete"] }, /no such mutant: merkle\.circom:1:delete/);
  });

  it("refuses a selection of nothing before any baseline runs, and writes no report", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-mutation-"));
    try {
      const reportFile = path.join(dir, "report.json");
      const t0 = Date.now();
      await assert.rejects(
        runMutants({ templates: ["Nope"], reportFile }),
        (e: unknown) => e instanceof MutationError && e.code === "MUTANT_UNKNOWN",
      );
      // a baseline runs a test file for a minute or more: none ran
      assert.ok(Date.now() - t0 < 30_000, "no baseline ran");
      assert.ok(!fs.existsSync(reportFile));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("selects by file, template and id", function () {
    const inFile = allMutants({ files: ["merkle.circom"] });
    assert.ok(inFile.length > 0 && inFile.every((m) => m.id.startsWith("merkle.circom:")));
    const one = inFile[0]!;
    const inTemplate = allMutants({ templates: [one.template] });
    assert.ok(inTemplate.some((m) => m.id === one.id));
    assert.ok(inTemplate.every((m) => m.template === one.template));
    assert.deepEqual(
      allMutants({ ids: [one.id] }).map((m) => m.id),
      [one.id],
    );
  });
});

describe("mutation runner: the tests stage, file by file", function () {
  this.timeout(120_000);
  const dir = path.join("artifacts", "tmp", `mutation-run-${process.pid}`);
  const file = (name: string, body: string) => {
    fs.writeFileSync(
      path.join(ROOT, dir, name),
      `import fs from "node:fs";\nit("${name}", function () {\n  ${body}\n});\n`,
    );
    return path.join(dir, name);
  };
  before(() => fs.mkdirSync(path.join(ROOT, dir), { recursive: true }));
  after(() => fs.rmSync(path.join(ROOT, dir), { recursive: true, force: true }));

  it("names the first file that fails, with its hash, and runs no file after it", async function () {
    const passes = file("passes.test.ts", "");
    const fails = file("fails.test.ts", `throw new Error("refused by the second file");`);
    const never = file("never.test.ts", `fs.writeFileSync("${dir}/ran", "");`);
    const before = namedTestsHash([fails]);
    const r = await testsStage([passes, fails, never], dir, path.join(dir, "build"), 60);
    assert.equal(r.verdict, "killed");
    assert.equal(r.file, fails);
    assert.equal(r.testsHash, before);
    assert.match(r.detail ?? "", /fails\.test\.ts/);
    assert.equal(fs.existsSync(path.join(ROOT, dir, "ran")), false);
  });

  it("calls a file that runs past the limit a timeout, not a kill", async function () {
    const slow = file("slow.test.ts", `return new Promise((ok) => setTimeout(ok, 20_000));`);
    const r = await testsStage([slow], dir, dir, 3);
    assert.deepEqual([r.verdict, r.file], ["timeout", slow]);
  });

  it("gives no verdict for a file that is gone, or not the version its baseline passed with", async function () {
    const fails = file("stale.test.ts", `throw new Error("a work-in-progress test");`);
    const gone = path.join(dir, "gone.test.ts");
    const r1 = await testsStage([gone], dir, dir, 60);
    assert.deepEqual([r1.verdict, r1.file], ["changed", gone]);
    const r2 = await testsStage([fails], dir, dir, 60, () => "the baseline's hash");
    assert.deepEqual([r2.verdict, r2.file, r2.seconds], ["changed", fails, 0]);
    const r3 = await testsStage([fails], dir, dir, 60, () => namedTestsHash([fails]));
    assert.equal(r3.verdict, "killed");
  });

  it("passes when every file passes, and names none", async function () {
    const r = await testsStage([file("a.test.ts", ""), file("b.test.ts", "")], dir, dir, 60);
    assert.deepEqual([r.verdict, r.file], ["passed", undefined]);
  });
});

describe("mutation runner: the failing test's title", function () {
  it("reads every describe of a nested test, up to the title's colon", function () {
    const out = [
      "  0 passing (2s)",
      "  1 failing",
      "",
      "  1) AnswerForced circuit (test parameters)",
      "       forged witnesses",
      "         refuses paying a request whose signature does not verify:",
      "     AssertionError [ERR_ASSERTION]: Missing expected rejection.",
    ].join("\n");
    assert.equal(
      firstFailure(out),
      "AnswerForced circuit (test parameters) forged witnesses refuses paying a request whose signature does not verify:",
    );
  });
});

describe("mutation runner: what it leaves and what it hashes", function () {
  it("removes the work folders of this host's runs that are gone, and nothing else", function () {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-mutants-"));
    try {
      // a pid past the kernel's limit (2^22) is no process
      const dead = 4_194_399;
      const host = os.hostname();
      const gone = [`slot0-p${dead}-${host}`, `baseline-p${dead}-${host}`];
      const kept = [
        `slot1-p${process.pid}-${host}`, // a live run
        `slot0-p${dead}-another.host`, // another host's: its processes are not seen from here
        "notes-2026", // not a work folder
        "smt-cache.jsonl",
      ];
      for (const d of [...gone, ...kept.slice(0, 3)])
        fs.mkdirSync(path.join(work, d, "src"), { recursive: true });
      fs.writeFileSync(path.join(work, "smt-cache.jsonl"), "");
      assert.deepEqual(removeLeftovers(work, host).sort(), gone.sort());
      assert.deepEqual(fs.readdirSync(work).sort(), kept.sort());
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("files its verdicts under the circuits, the stage, its packages' versions and the rules", function () {
    const circom = fs
      .readdirSync(path.join(ROOT, "circuits", "src"))
      .filter((f) => f.endsWith(".circom"))
      .sort()
      .map((f) => path.join("circuits", "src", f));
    const entries = [...circom, ...importClosure(STAGE_INPUTS)];
    const versions = STAGE_PACKAGES.map(
      (p) =>
        `${p}@${JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")).version}`,
    );
    assert.deepEqual(STAGE_PACKAGES, ["circom2", "circomlib", "z3-solver"]);
    assert.equal(sourceHashNow(), inputsHash(entries, [...versions, `rules@${RULES_VERSION}`]));
    assert.notEqual(sourceHashNow(), inputsHash(entries, versions));
  });
});
