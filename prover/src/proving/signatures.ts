/**
 * EdDSA-Poseidon signature checks in batches, off the event loop: the native addon's
 * verifier (native/src/eddsa.hpp) when it is built, else domain/babyjub.ts in this thread.
 * Both decide exactly alike (test/proving/signatures.test.ts compares them on valid, tampered
 * and malformed signatures): every number must be a field element (the message and domain
 * too: one at or above p is refused, not reduced by Poseidon) and S below the subgroup order.
 *
 * A check names the key, the signature and the message; with `domain`, the signed message
 * is Poseidon(domain, message), as an order's (domain/order.ts signedOrderMessage), and the
 * native verifier hashes it too.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { verifyEdDSAPoseidon } from "../domain/babyjub.ts";
import { poseidon } from "../domain/hash.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import { nativeProver, type NativeAddon } from "./native.ts";

export interface SignatureCheck {
  readonly pubKey: { readonly x: bigint; readonly y: bigint };
  readonly signature: EdDSASignature;
  readonly message: bigint;
  /** When given, the signed message is Poseidon(domain, message). */
  readonly domain?: bigint;
}

const require = createRequire(import.meta.url);
const bj = require("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  r: bigint;
};
const P = bj.r;
const ITEM = 7 * 32;

/** The JS decision, in this thread (the native verifier's: ill-formed numbers are invalid). */
export function verifyCheck(c: SignatureCheck): boolean {
  if (!wellFormed(c)) return false;
  const m = c.domain === undefined ? c.message : poseidon([c.domain, c.message]);
  return verifyEdDSAPoseidon(m, c.signature, c.pubKey);
}

/** Writes v (0 ≤ v < 2^256) as 32 big-endian bytes at `at`. */
function put(buf: Buffer, at: number, v: bigint): void {
  buf.write(v.toString(16).padStart(64, "0"), at, 32, "hex");
}

/** Poseidon's constants for `inputs` inputs, from poseidon-lite's own tables. */
function poseidonConstants(inputs: number): { c: Buffer; m: Buffer; roundsP: number } {
  const dir = path.dirname(require.resolve("poseidon-lite"));
  const table = (
    require(path.join(dir, "constants", `${inputs}.js`)) as {
      default: { C: string[]; M: string[][] };
    }
  ).default;
  const le = (xs: string[]) => {
    const out = Buffer.alloc(32 * xs.length);
    xs.forEach((b64, i) => {
      const be = Buffer.from(b64, "base64");
      for (let j = 0; j < be.length; j++) out[32 * i + j] = be[be.length - 1 - j]!;
    });
    return out;
  };
  const t = inputs + 1;
  const c = le(table.C);
  return { c, m: le(table.M.flat()), roundsP: table.C.length / t - 8 };
}

let nativeReady: NativeAddon | null | undefined;

/** The addon with its verifier set up, or undefined (not built, or built without it). */
function nativeVerifier(): NativeAddon | undefined {
  if (nativeReady !== undefined) return nativeReady ?? undefined;
  const addon = nativeProver();
  if (!addon?.eddsaInit || !addon.eddsaVerify || !fs.existsSync(require.resolve("poseidon-lite"))) {
    nativeReady = null;
    return undefined;
  }
  // eddsaInit takes little-endian elements
  const le32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, "0"), "hex").reverse();
  const p2 = poseidonConstants(2);
  const p5 = poseidonConstants(5);
  addon.eddsaInit(
    le32(bj.Base8[0]),
    le32(bj.Base8[1]),
    p2.c,
    p2.m,
    p2.roundsP,
    p5.c,
    p5.m,
    p5.roundsP,
  );
  nativeReady = addon;
  return addon;
}

/** Whether signatures are checked natively here. */
export function nativeSignatures(): boolean {
  return nativeVerifier() !== undefined;
}

const inField = (v: bigint) => v >= 0n && v < P;

/** Whether the check's numbers fit the verifier's input at all (else: invalid). */
function wellFormed(c: SignatureCheck): boolean {
  const s = c.signature;
  return (
    [c.pubKey.x, c.pubKey.y, s.r8x, s.r8y, c.message].every(inField) &&
    (c.domain === undefined || inField(c.domain)) &&
    s.s >= 0n &&
    s.s < bj.subOrder
  );
}

/**
 * Checks the signatures natively in one call (all with a domain, or all without); those
 * that do not fit the input are invalid without being sent. Undefined without the addon.
 */
export async function verifyNative(
  checks: readonly SignatureCheck[],
): Promise<boolean[] | undefined> {
  const addon = nativeVerifier();
  if (!addon) return undefined;
  const hashed = checks.length > 0 && checks[0]!.domain !== undefined;
  const sent: number[] = [];
  const items = Buffer.alloc(ITEM * checks.length);
  checks.forEach((c, i) => {
    if ((c.domain !== undefined) !== hashed || !wellFormed(c)) return;
    const at = ITEM * sent.length;
    put(items, at, c.pubKey.x);
    put(items, at + 32, c.pubKey.y);
    put(items, at + 64, c.signature.r8x);
    put(items, at + 96, c.signature.r8y);
    put(items, at + 128, c.signature.s);
    put(items, at + 160, hashed ? c.domain! : c.message);
    put(items, at + 192, hashed ? c.message : 0n);
    sent.push(i);
  });
  const out = checks.map(() => false);
  if (sent.length === 0) return out;
  const ok = await addon.eddsaVerify!(items.subarray(0, ITEM * sent.length), hashed);
  sent.forEach((i, k) => (out[i] = ok[k] === 1));
  return out;
}

/**
 * Collects checks as they come and sends them to the native verifier in batches, at most
 * `inFlight` batches at a time (each on a thread of libuv's pool): a check waits at most for
 * the batch before it. Without the addon each check is decided in this thread. The waiting
 * list holds what the caller sends: the intake holds at most its `maxInFlight` orders.
 */
export class SignatureBatcher {
  private waiting: { check: SignatureCheck; done: (ok: boolean) => void }[] = [];
  private running = 0;

  constructor(
    private readonly inFlight = 2,
    private readonly maxBatch = 256,
  ) {}

  get native(): boolean {
    return nativeSignatures();
  }

  check(c: SignatureCheck): Promise<boolean> {
    if (!this.native || c.domain === undefined) return Promise.resolve(verifyCheck(c));
    return new Promise((done) => {
      this.waiting.push({ check: c, done });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.inFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.running++;
      verifyNative(batch.map((w) => w.check))
        .then(
          (ok) => batch.forEach((w, i) => w.done(ok![i]!)),
          // the addon failing is not the signer's fault: decide in this thread instead
          () => batch.forEach((w) => w.done(verifyCheck(w.check))),
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
