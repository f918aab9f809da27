// The native EdDSA-Poseidon verifier (native/src/eddsa.hpp, through proving/signatures.ts)
// against the JavaScript one (domain/babyjub.ts, which test/domain checks against
// @zk-kit/eddsa-poseidon): the same verdict on valid signatures and on every kind of bad
// one, with and without the order's Poseidon(domain, message) hashed natively.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { createRequire } from "node:module";
import { devKeyPair, sign, type KeyPair } from "../../prover/src/domain/keys.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { mulPoint } from "../../prover/src/domain/babyjub.ts";
import {
  nativeSignatures,
  SignatureBatcher,
  verifyCheck,
  verifyNative,
  type SignatureCheck,
} from "../../prover/src/proving/signatures.ts";
import { NATIVE_ADDON_ENV, nativeProver } from "../../prover/src/proving/native.ts";
import { ROOT } from "../../prover/src/domain/paths.ts";

const bj = createRequire(import.meta.url)("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  r: bigint;
  inCurve(p: [bigint, bigint]): boolean;
  addPoint(p: [bigint, bigint], q: [bigint, bigint]): [bigint, bigint];
};
const P = bj.r;
const L = bj.subOrder;

const KEYS: KeyPair[] = [0, 1, 2].map((i) => devKeyPair(`signatures-test-${i}`));

/** A valid check: key `k` signs `message` (hashed with `domain` when given). */
function signed(k: KeyPair, message: bigint, domain?: bigint): SignatureCheck {
  const m = domain === undefined ? message : poseidon([domain, message]);
  return { pubKey: k.publicKey, signature: sign(k.privateKey, m), message, domain };
}

/** Every way the test breaks a valid check. */
const TAMPER = [
  "none",
  "message",
  "domain",
  "r8x",
  "r8y",
  "s+1",
  "s+L",
  "s=L",
  "key",
  "key-off-curve",
  "key-small-order",
  "r8-off-curve",
  "x>=p",
  "message+p",
  "domain+p",
] as const;
type Tamper = (typeof TAMPER)[number];

/** A point of order 2 on Baby Jubjub: (0, -1). */
const ORDER2 = { x: 0n, y: P - 1n };

function tamper(c: SignatureCheck, how: Tamper, other: KeyPair): SignatureCheck {
  const s = c.signature;
  switch (how) {
    case "none":
      return c;
    case "message":
      return { ...c, message: (c.message + 1n) % P };
    case "domain":
      return c.domain === undefined
        ? { ...c, message: c.message ^ 1n }
        : { ...c, domain: c.domain + 1n };
    case "r8x":
      return { ...c, signature: { ...s, r8x: (s.r8x + 1n) % P } };
    case "r8y":
      return { ...c, signature: { ...s, r8y: (s.r8y + 1n) % P } };
    case "s+1":
      return { ...c, signature: { ...s, s: (s.s + 1n) % L } };
    case "s+L":
      // the same point S·B8 with S at or above the subgroup order: refused (malleability)
      return { ...c, signature: { ...s, s: s.s + L } };
    case "s=L":
      return { ...c, signature: { ...s, s: L } };
    case "key":
      return { ...c, pubKey: other.publicKey };
    case "key-off-curve":
      return { ...c, pubKey: { x: c.pubKey.x, y: (c.pubKey.y + 1n) % P } };
    case "key-small-order":
      // a key of small order (8·A = O): anyone could sign for it, so it signs nothing
      return { ...c, pubKey: ORDER2 };
    case "r8-off-curve":
      return { ...c, signature: { ...s, r8x: (s.r8x + 2n) % P } };
    case "x>=p":
      return { ...c, pubKey: { x: c.pubKey.x + P, y: c.pubKey.y } };
    case "message+p":
      // the same message modulo p: Poseidon would reduce it, both verifiers refuse it
      return { ...c, message: c.message + P };
    case "domain+p":
      return c.domain === undefined
        ? { ...c, message: c.message + P }
        : { ...c, domain: c.domain + P };
  }
}

describe("native EdDSA-Poseidon verifier against the JavaScript one", function () {
  this.timeout(120_000);

  before(function () {
    assert.ok(
      nativeSignatures(),
      "the native addon is built with its verifier (npm run build:native)",
    );
  });

  it("gives the same verdict on valid and tampered signatures, with and without a domain (fast-check)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt(0n, P - 1n),
        fc.option(fc.bigInt(0n, P - 1n), { nil: undefined }),
        fc.constantFrom(...TAMPER),
        fc.nat(KEYS.length - 1),
        async (message, domain, how, ki) => {
          const c = tamper(signed(KEYS[ki]!, message, domain), how, KEYS[(ki + 1) % KEYS.length]!);
          const js = verifyCheck(c);
          const [native] = (await verifyNative([c]))!;
          assert.equal(native, js, `tamper ${how}`);
          assert.equal(js, how === "none", `the JS verdict on tamper ${how}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses a forgery for a small-order key that the bare equation accepts", async function () {
    // with A of order 2, 8·h·A = O for every h: R8 = S·B8 satisfies S·B8 = R8 + 8·h·A
    const s = 12345n;
    const [r8x, r8y] = mulPoint(bj.Base8, s);
    const forged: SignatureCheck = {
      pubKey: ORDER2,
      signature: { r8x, r8y, s },
      message: 7n,
      domain: 3n,
    };
    assert.equal(bj.inCurve([ORDER2.x, ORDER2.y]), true);
    assert.equal(verifyCheck(forged), false);
    assert.deepEqual(await verifyNative([forged]), [false]);
  });

  it("decides a mixed batch item by item, and the batcher agrees with the JS verdicts", async function () {
    const checks: SignatureCheck[] = [];
    for (let i = 0; i < 24; i++) {
      const c = signed(KEYS[i % KEYS.length]!, BigInt(1000 + i), 99n);
      checks.push(i % 3 === 0 ? tamper(c, TAMPER[1 + (i % (TAMPER.length - 1))]!, KEYS[0]!) : c);
    }
    const js = checks.map(verifyCheck);
    assert.deepEqual(await verifyNative(checks), js);
    const batcher = new SignatureBatcher(2, 5);
    assert.deepEqual(await Promise.all(checks.map((c) => batcher.check(c))), js);
    // a key seen again is checked through its own table (eddsa.hpp KeyTables): same verdicts
    assert.deepEqual(await verifyNative(checks), js);
  });

  it("refuses a message or domain at or above p on both paths, though Poseidon would reduce it", async function () {
    const c = signed(KEYS[0]!, 41n, 7n);
    for (const bad of [
      { ...c, message: c.message + P },
      { ...c, domain: c.domain! + P },
      { ...signed(KEYS[1]!, 42n), message: 42n + P },
    ]) {
      assert.equal(verifyCheck(bad), false);
      assert.deepEqual(await verifyNative([bad]), [false]);
    }
    assert.equal(verifyCheck(c), true);
  });

  describe("per-key tables (eddsa.hpp KeyTables)", function () {
    const tables = () => nativeProver()!.eddsaTables!();
    // many keys cheaply: private keys a0 + i (one point addition each) and one nonce r for
    // all, so S = r + 8·h·a (mod l) satisfies S·B8 = R8 + 8·h·A
    const r = 987_654_321n;
    const R8 = mulPoint(bj.Base8, r);
    let a = 123_456_789n;
    let A = mulPoint(bj.Base8, a);
    const fresh = (n: number) =>
      Array.from({ length: n }, () => {
        a += 1n;
        A = bj.addPoint(A, bj.Base8);
        const pubKey = { x: A[0], y: A[1] };
        const m = poseidon([5n, 77n]);
        const h = poseidon([R8[0], R8[1], A[0], A[1], m]);
        const check: SignatureCheck = {
          pubKey,
          signature: { r8x: R8[0], r8y: R8[1], s: (r + 8n * h * a) % L },
          message: 77n,
          domain: 5n,
        };
        return check;
      });
    /** `n` valid checks by each key, in one native batch; all must pass. */
    const signAll = async (keys: SignatureCheck[], n: number) => {
      const checks = keys.flatMap((c) => Array.from({ length: n }, () => c));
      assert.ok((await verifyNative(checks))!.every((ok) => ok));
    };

    it("builds a key's table only after its second valid signature, never for invalid ones", async function () {
      const [k] = fresh(1);
      assert.equal(verifyCheck(k!), true);
      const before = tables().built;
      // each forgery twice: a valid signature would have built the table the second time
      const forged = TAMPER.filter((t) => t !== "none" && t !== "key")
        .map((t) => tamper(k!, t, KEYS[0]!))
        .flatMap((c) => [c, c]);
      assert.deepEqual(
        await verifyNative(forged),
        forged.map(() => false),
      );
      assert.equal(tables().built, before, "forged signatures under a key build no table");
      await signAll([k!], 1);
      assert.equal(tables().built, before, "one valid signature builds no table");
      await signAll([k!], 1);
      assert.equal(tables().built, before + 1, "the second valid signature builds it");
      await signAll([k!], 3);
      assert.equal(tables().built, before + 1, "later signatures use it");
    });

    it("keeps at most 512 tables, evicting the least recently used one (not all of them)", async function () {
      const [kept] = fresh(1);
      await signAll([kept!], 2); // its table
      const others = fresh(520);
      for (let i = 0; i < others.length; i += 40) {
        await signAll(others.slice(i, i + 40), 2);
        await signAll([kept!], 1); // recently used: never the one evicted
        assert.ok(tables().held <= 512, `${tables().held} tables held`);
      }
      assert.equal(tables().held, 512);
      const built = tables().built;
      await signAll([kept!], 1);
      assert.equal(tables().built, built, "the recently used key kept its table");
      await signAll([others[0]!], 2);
      assert.equal(tables().built, built + 1, "the least recently used key lost its table");
    });
  });

  it("falls back to the JavaScript verifier, with the same verdicts, when the addon is missing", function () {
    const dir = path.join(ROOT, "artifacts/test-fixtures/signatures");
    fs.mkdirSync(dir, { recursive: true });
    const script = path.join(dir, "fallback.ts");
    const mod = (f: string) => JSON.stringify(path.join(ROOT, "prover/src", f));
    fs.writeFileSync(
      script,
      [
        `import { devKeyPair, sign } from ${mod("domain/keys.ts")};`,
        `import { poseidon } from ${mod("domain/hash.ts")};`,
        `import { SignatureBatcher, nativeSignatures, verifyNative } from ${mod("proving/signatures.ts")};`,
        `const k = devKeyPair("fallback");`,
        `const good = { pubKey: k.publicKey, signature: sign(k.privateKey, poseidon([5n, 9n])), message: 9n, domain: 5n };`,
        `const bad = { ...good, message: 10n };`,
        `const b = new SignatureBatcher();`,
        `console.log(JSON.stringify([nativeSignatures(), await verifyNative([good]) ?? null, await b.check(good), await b.check(bad)]));`,
      ].join("\n"),
    );
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      env: { ...process.env, [NATIVE_ADDON_ENV]: path.join(dir, "missing.node") },
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim().split("\n").pop()!), [
      false,
      null,
      true,
      false,
    ]);
  });
});
