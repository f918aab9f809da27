import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { canonicalQuery, VerdictCache } from "../../prover/src/verify/smt-cache.ts";

const query = (a: string, b: string) =>
  [
    "; 1 rows over 2 bits in 1 groups, modulus p",
    `(declare-const ${a} Int)`,
    `(declare-const ${b} Int)`,
    `(assert (= (+ ${a} (* 2 ${b})) 7))`,
  ].join("\n");

describe("the solver's verdict cache", function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "smt-cache-"));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("treats a query with its wires renumbered as the same query, and another as another", function () {
    assert.equal(canonicalQuery(query("c5196", "p13")), canonicalQuery(query("c7", "p2")));
    // names are only placeholders: swapping them is a renaming too
    assert.equal(canonicalQuery(query("c1", "c2")), canonicalQuery(query("c2", "c1")));
    const other = query("c1", "c2").replace("(* 2 ", "(* 3 ");
    assert.notEqual(canonicalQuery(other), canonicalQuery(query("c1", "c2")));
  });

  it("keeps settled verdicts across instances, through the file", function () {
    const file = path.join(dir, "c.jsonl");
    const a = new VerdictCache(file);
    assert.equal(a.get(query("c1", "c2"), 1000), undefined);
    a.put(query("c1", "c2"), "unique", 1000);
    a.put(query("k1", "k2").replace("7", "8"), "not-unique", 1000);
    const b = new VerdictCache(file);
    assert.equal(b.get(query("c40", "c41"), 60_000), "unique");
    assert.equal(b.get(query("c40", "c41").replace("7", "8"), 60_000), "not-unique");
    assert.equal(b.hits, 2);
  });

  it("reuses a timeout only for a limit no longer than the one that ran out", function () {
    const file = path.join(dir, "c.jsonl");
    const a = new VerdictCache(file);
    a.put(query("c1", "c2"), "unknown", 5000);
    const b = new VerdictCache(file);
    assert.equal(b.get(query("c1", "c2"), 5000), "unknown");
    assert.equal(b.get(query("c1", "c2"), 60_000), undefined, "a longer limit asks again");
    // a settled answer replaces the timeout, and is never replaced by one
    b.put(query("c1", "c2"), "unique", 60_000);
    b.put(query("c1", "c2"), "unknown", 90_000);
    assert.equal(new VerdictCache(file).get(query("c1", "c2"), 1), "unique");
  });

  it("skips a line a killed run cut short", function () {
    const file = path.join(dir, "c.jsonl");
    new VerdictCache(file).put(query("c1", "c2"), "unique", 1000);
    fs.appendFileSync(file, '{"k":"abc","v":"uni');
    assert.equal(new VerdictCache(file).get(query("c1", "c2"), 1000), "unique");
  });
});
