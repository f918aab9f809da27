import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import type * as EdDSAPoseidon from "@zk-kit/eddsa-poseidon";
import { modInv } from "../../domain/field.ts";
import { poseidon } from "../../domain/hash.ts";
import { devKeyPair } from "../../domain/keys.ts";
import { signedOrderMessage, type Order, type SignedOrder } from "../../domain/order.ts";

/**
 * The intake benchmark's orders: many valid signed orders on several markets, crossing and
 * resting, made fast. @zk-kit's signMessage takes ~100 ms a signature here (affine
 * arithmetic), too slow for tens of thousands of orders, so this signer makes the same
 * EdDSA-Poseidon signatures (S = r + H(R8, A, M)·8a mod l, R8 = r·B8) with each account's
 * nonces r₀, r₀ + 1, r₀ + 2, … so that R8 moves by one point addition per order.
 * INSECURE: related nonces reveal the key. Only for the benchmark's development keys.
 */
/** The intake server's deployment domain, parameter set and oracle prices. */
export const INTAKE_DOMAIN = 1n;
export const INTAKE_PARAMS = "bench";
export const intakeMarks = (markets: number): bigint[] =>
  Array.from({ length: markets }, (_, i) => (i % 2 === 0 ? 60_000_00n : 3_000_00n));

const require = createRequire(import.meta.url);
const { deriveSecretScalar } = require("@zk-kit/eddsa-poseidon") as typeof EdDSAPoseidon;
const bj = require("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  r: bigint;
  mulPointEscalar(p: [bigint, bigint], k: bigint): [bigint, bigint];
};
const P = bj.r;
const mod = (x: bigint) => ((x % P) + P) % P;

function addAffine(p: [bigint, bigint], q: [bigint, bigint]): [bigint, bigint] {
  const [x1, y1] = p;
  const [x2, y2] = q;
  const t = mod(168696n * mod(x1 * x2) * mod(y1 * y2));
  return [
    mod((x1 * y2 + y1 * x2) * modInv(mod(1n + t), P)),
    mod((y1 * y2 - 168700n * x1 * x2) * modInv(mod(1n - t), P)),
  ];
}

/** Signs a stream of orders for one key with consecutive nonces (see above). */
export class BenchSigner {
  private readonly a: bigint;
  private readonly pub: [bigint, bigint];
  private r: bigint;
  private r8: [bigint, bigint];

  constructor(label: string) {
    const k = devKeyPair(label);
    this.a = BigInt(deriveSecretScalar(Buffer.from(k.privateKey)));
    this.pub = [k.publicKey.x, k.publicKey.y];
    this.r = BigInt(`0x${randomBytes(31).toString("hex")}`) % bj.subOrder;
    this.r8 = bj.mulPointEscalar(bj.Base8, this.r);
  }

  sign(o: Order, domain: bigint): SignedOrder {
    const m = signedOrderMessage(o, domain);
    const h = poseidon([this.r8[0], this.r8[1], this.pub[0], this.pub[1], m]);
    const s = (this.r + h * 8n * this.a) % bj.subOrder;
    const signature = { r8x: this.r8[0], r8y: this.r8[1], s };
    this.r = (this.r + 1n) % bj.subOrder;
    this.r8 = addAffine(this.r8, bj.Base8);
    return { order: o, signature };
  }
}

/** The JSON body of POST /v1/orders for a signed order. */
export function orderBody(so: SignedOrder): string {
  const o = so.order;
  const s = so.signature;
  return JSON.stringify({
    account: o.account.toString(),
    market: o.market,
    side: o.side,
    nonce: o.nonce.toString(),
    maxFeeBps: o.maxFeeBps.toString(),
    amount: o.amount.toString(),
    limitPrice: o.limitPrice.toString(),
    signature: { r8x: s.r8x.toString(), r8y: s.r8y.toString(), s: s.s.toString() },
  });
}

/**
 * Stream `q` (of `streams`): the orders of accounts 3 + 2q (buys) and 4 + 2q (sells), in
 * turn, over `markets` markets, nonces rising per account and market; three pairs in four
 * cross at the mark ± 1 %, the fourth rests 2 % away from it. Keys: devKeyPair(`intake-<i>`)
 * for account 3 + i (the intake server's deposits).
 */
export function orderStream(
  q: number,
  length: number,
  markets: number,
  marks: readonly bigint[],
  domain: bigint,
): string[] {
  const signers = [new BenchSigner(`intake-${2 * q}`), new BenchSigner(`intake-${2 * q + 1}`)];
  const nonces = new Map<string, bigint>();
  const out: string[] = [];
  for (let k = 0; k < length; k++) {
    const who = k % 2;
    const market = Math.floor(k / 2) % markets;
    const account = BigInt(3 + 2 * q + who);
    const key = `${account}:${market}`;
    const nonce = (nonces.get(key) ?? 0n) + 1n;
    nonces.set(key, nonce);
    const rests = Math.floor(k / 2) % 4 === 3;
    const mark = marks[market]!;
    const off = (mark * (rests ? 2n : 1n)) / 100n;
    const side = who === 0 ? "buy" : "sell";
    const limitPrice = (side === "buy") !== rests ? mark + off : mark - off;
    const order: Order = { account, market, side, nonce, maxFeeBps: 100n, amount: 1n, limitPrice };
    out.push(orderBody(signers[who]!.sign(order, domain)));
  }
  return out;
}
