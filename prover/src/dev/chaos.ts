import { ServiceRig, RigError, until, type Json } from "./service-rig.ts";

/**
 * The chaos run: the real service (its own process, a `hardhat node`, real proofs) takes
 * orders, cancels and withdrawals from two traders while it is killed with SIGKILL at
 * random moments (while it matches, cuts, proves, or waits for a transaction) and
 * restarted. At the end every acknowledged order and reported fill must still be there as
 * reported, every acknowledged withdrawal batched, the chain must hold each settled batch
 * exactly once at the service's root, and the audit must pass.
 */
export interface ChaosOptions {
  readonly kills: number;
  readonly seed?: number;
  readonly log?: (s: string) => void;
}

export interface ChaosReport {
  readonly kills: number;
  readonly orders: number;
  readonly fills: number;
  readonly cancels: number;
  readonly withdrawals: number;
  readonly batches: number;
  readonly seconds: number;
}

/** A small deterministic generator (mulberry32), so a failing run can be repeated. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const rnd = random(o.seed ?? 1);
  const t0 = Date.now();
  const rig = await ServiceRig.start({ traders: 2, batchTimeoutMs: 200 });
  const fail = (m: string) => {
    throw new RigError("CHAOS_INVARIANT", `${m} (seed ${o.seed ?? 1}; logs in ${rig.dir})`);
  };
  try {
    const nonces = [0n, 0n];
    const withdrawNonces = [0n, 0n];
    /** Acknowledged orders: what the service said at the time. */
    const acked = new Map<string, { trader: number; filled: boolean; cancelled: boolean }>();
    const withdrawals: string[] = [];
    let cancels = 0;
    let fills = 0;
    const must = async (p: Promise<{ status: number; json: Json }>, what: string) => {
      const r = await p;
      if (r.status >= 500) fail(`${what} answered ${r.status}: ${JSON.stringify(r.json)}`);
      return r;
    };
    for (let kill = 0; kill < o.kills; kill++) {
      await rig.healthy();
      const actions = 1 + Math.floor(rnd() * 4);
      for (let a = 0; a < actions; a++) {
        const x = rnd();
        if (x < 0.55) {
          // a crossing pair, sometimes partly filled
          const qty = 1n + BigInt(Math.floor(rnd() * 3));
          const seller = rnd() < 0.5 ? 0 : 1;
          const buyer = 1 - seller;
          const s = await must(
            rig.postOrder(
              rig.order(seller, { side: "sell", nonce: ++nonces[seller], amount: qty }),
            ),
            "an order",
          );
          const b = await must(
            rig.postOrder(rig.order(buyer, { side: "buy", nonce: ++nonces[buyer], amount: qty })),
            "an order",
          );
          for (const [r, trader] of [
            [s, seller],
            [b, buyer],
          ] as const) {
            if (r.status !== 201) fail(`an order was refused: ${JSON.stringify(r.json)}`);
            acked.set(r.json.id as string, {
              trader,
              filled: r.json.status === "filled",
              cancelled: false,
            });
          }
          if (b.json.status === "filled") fills++;
        } else if (x < 0.8) {
          // an order that rests, then its cancel
          const i = rnd() < 0.5 ? 0 : 1;
          const r = await must(
            rig.postOrder(
              rig.order(i, {
                market: 1,
                side: "buy",
                nonce: ++nonces[i],
                amount: 1n,
                limitPrice: rig.marks[1] / 2n,
              }),
            ),
            "a resting order",
          );
          if (r.status !== 201) fail(`a resting order was refused: ${JSON.stringify(r.json)}`);
          const id = r.json.id as string;
          acked.set(id, { trader: i, filled: false, cancelled: false });
          const c = await must(rig.cancel(i, id), "a cancel");
          if (c.status !== 200) fail(`a cancel was refused: ${JSON.stringify(c.json)}`);
          acked.get(id)!.cancelled = true;
          cancels++;
        } else {
          const i = rnd() < 0.5 ? 0 : 1;
          const r = await must(
            rig.send("POST", "/v1/withdrawals", rig.withdrawal(i, withdrawNonces[i], 1_000n)),
            "a withdrawal",
          );
          if (r.status !== 201) fail(`a withdrawal was refused: ${JSON.stringify(r.json)}`);
          withdrawNonces[i]++;
          withdrawals.push(r.json.id as string);
        }
      }
      // let the service get somewhere (match, cut, prove, submit), then kill it there
      await new Promise((r) => setTimeout(r, Math.floor(rnd() * 4000)));
      log(`kill ${kill + 1}/${o.kills}`);
      await rig.restart("SIGKILL");
    }
    await rig.healthy();
    // the last instance may not have cut what arrived just before the last kill: wait for
    // every acknowledged request to leave "pending" before judging the batches
    await until(
      "every acknowledged withdrawal out of pending",
      async () => {
        for (const id of withdrawals)
          if ((await rig.get(`/v1/withdrawals/${id}`)).json.status === "pending") return undefined;
        return true;
      },
      600_000,
    );
    const bs = await rig.settledEverything(600_000);
    for (const [id, want] of acked) {
      const r = await rig.get(`/v1/orders/${id}`);
      if (r.status !== 200) fail(`acknowledged order ${id} is gone`);
      if (want.filled && r.json.status !== "filled")
        fail(`order ${id} was reported filled, now ${JSON.stringify(r.json)}`);
      if (want.cancelled && r.json.status !== "cancelled" && r.json.status !== "filled")
        fail(`order ${id} was cancelled, now ${JSON.stringify(r.json)}`);
    }
    for (const id of withdrawals) {
      const r = await rig.get(`/v1/withdrawals/${id}`);
      if (r.status !== 200 || r.json.status !== "batched")
        fail(`acknowledged withdrawal ${id}: ${JSON.stringify(r.json)}`);
    }
    const health = await rig.get("/health");
    if (health.status !== 200) fail(`the service is not healthy: ${JSON.stringify(health.json)}`);
    const audit = await rig.audit();
    if (audit.code !== 0) fail(`the audit failed:\n${audit.out}`);
    return {
      kills: o.kills,
      orders: acked.size,
      fills,
      cancels,
      withdrawals: withdrawals.length,
      batches: bs.filter((b) => b.status === "settled").length,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await rig.close();
  }
}
