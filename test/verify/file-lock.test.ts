import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../prover/src/proving/paths.ts";
import { runModule } from "../helpers/module-process.ts";
import { withFileLock } from "../../prover/src/verify/file-lock.ts";

// The mutation report's lock (prover/src/verify/file-lock.ts): a read, merge and rename by
// one process at a time, a dead holder's lock taken over, a live one's never.
describe("mutation runner: the report's lock file", function () {
  let dir: string;
  let lock: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-lock-"));
    lock = path.join(dir, "report.json.lock");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A pid no process has: the kernel's pid_max is at most 2^22. */
  const DEAD = 2 ** 22 + 1;
  const since = (t0: number) => Date.now() - t0;

  /** A process that adds 1 to the number in `counter` `n` times, each under the lock. */
  const counter = (file: string, n: number, go: string) =>
    runModule(
      `
        import fs from "node:fs";
        import { withFileLock } from ${JSON.stringify(path.join(ROOT, "prover/src/verify/file-lock.ts"))};
        while (!fs.existsSync(${JSON.stringify(go)})) await new Promise((t) => setTimeout(t, 5));
        for (let i = 0; i < ${n}; i++)
          withFileLock(${JSON.stringify(lock)}, () => {
            const k = Number(fs.readFileSync(${JSON.stringify(file)}, "utf8"));
            fs.writeFileSync(${JSON.stringify(file)}, String(k + 1));
          });`,
      "counter",
    );

  it("lets one process at a time read and write: three counting to 400 each reach 1,200", async function () {
    this.timeout(60_000);
    const file = path.join(dir, "count");
    const go = path.join(dir, "go");
    fs.writeFileSync(file, "0");
    const runs = Promise.all([1, 2, 3].map(() => counter(file, 400, go)));
    await new Promise((t) => setTimeout(t, 3_000)); // they load tsx, then start together
    fs.writeFileSync(go, "");
    await runs;
    assert.equal(fs.readFileSync(file, "utf8"), "1200");
    assert.ok(!fs.existsSync(lock));
  });

  it("takes over at once the lock of a holder on this host that is gone", function () {
    this.timeout(5_000);
    fs.writeFileSync(lock, `${DEAD} ${os.hostname()} token`);
    const t0 = Date.now();
    let ran = false;
    withFileLock(lock, () => (ran = true));
    assert.ok(ran && since(t0) < 1_000, `took ${since(t0)} ms`);
    assert.ok(!fs.existsSync(lock));
  });

  it("waits for another host's holder (its pid means nothing here) until its lock stays unchanged past the stale time", function () {
    this.timeout(10_000);
    fs.writeFileSync(lock, `${DEAD} elsewhere.example token`);
    // an mtime far in the past does not count: the other host's clock may differ
    fs.utimesSync(lock, 0, 0);
    const t0 = Date.now();
    withFileLock(lock, () => {}, 1_500);
    assert.ok(since(t0) >= 1_400, `took it over after ${since(t0)} ms`);
  });

  it("waits for a live holder to let go", async function () {
    this.timeout(30_000);
    // another process takes the lock, holds it 1.5 s, and lets it go
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const fs=require("fs");fs.writeFileSync(${JSON.stringify(lock)},process.pid+" "+require("os").hostname()+" t",{flag:"wx"});setTimeout(()=>fs.rmSync(${JSON.stringify(lock)}),1500)`,
      ],
      { stdio: "ignore" },
    );
    const gone = new Promise((r) => holder.on("exit", r));
    while (!fs.existsSync(lock)) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    withFileLock(lock, () => {}, 60_000);
    const waited = since(t0);
    await gone;
    assert.ok(waited > 500, `the write waited ${waited} ms for the holder`);
    assert.ok(!fs.existsSync(lock));
  });

  it("tells a holder that was taken over, and leaves the new holder's lock in place", function () {
    let before = false;
    let after = true;
    withFileLock(lock, (mine) => {
      before = mine();
      // another waiter judged this process gone (paused past the stale time) and took over
      fs.rmSync(lock);
      fs.writeFileSync(lock, `${process.pid + 1} ${os.hostname()} other`);
      after = mine();
    });
    assert.deepEqual([before, after], [true, false]);
    assert.equal(fs.readFileSync(lock, "utf8"), `${process.pid + 1} ${os.hostname()} other`);
  });

  it("clears the takeover guard of a waiter on this host that is gone, then the dead holder's lock", function () {
    this.timeout(5_000);
    fs.writeFileSync(`${lock}.takeover`, `${DEAD} ${os.hostname()}`);
    fs.writeFileSync(lock, `${DEAD} ${os.hostname()} token`);
    withFileLock(lock, (mine) => assert.ok(mine()));
    assert.ok(!fs.existsSync(lock) && !fs.existsSync(`${lock}.takeover`));
  });
});
