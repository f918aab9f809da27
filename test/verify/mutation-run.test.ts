import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MutationError, runMutants } from "../../prover/src/verify/mutation-run.ts";

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

  it("refuses a file that is not a circuit test", async function () {
    await refused(["test/circuits/no-such.test.ts"], /is not a test file of test\/circuits/);
    await refused(["test/verify/mutation-report.test.ts"], /is not a test file/);
    assert.equal(fs.existsSync(path.join(dir, "report.json")), false);
  });
});
