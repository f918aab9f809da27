import type { ParamSet } from "../domain/params.ts";
import { toSettleTradesSignals, settleTradesPublicSignals } from "../domain/inputs.ts";
import { settleTrades, type SettledTradeBatch } from "../engine/trades.ts";
import { ensureDevKeys } from "../proving/keys.ts";
import { circuitFiles } from "../proving/paths.ts";
import { prove, readVerificationKey, verify } from "../proving/prover.ts";
import { order, sampleExchange, type Sample } from "./sample.ts";
import { type Trade } from "../domain/batch.ts";

/**
 * A batch of B signed trades among the sample traders: alternating markets, orders
 * larger than their fills (so some stay working), maker and taker on both sides.
 */
export function sampleTrades(
  s: Pick<Sample, "traders" | "markets" | "marks" | "domain">,
  batch: number,
  nonceBase = 100,
): Trade[] {
  const trades: Trade[] = [];
  const n = s.traders.length;
  for (let i = 0; i < batch; i++) {
    const market = i % s.markets.length;
    const buyer = s.traders[i % n];
    if (n < 2) throw new Error("sampleTrades needs at least two traders");
    // an offset in 1..n-1 never pairs a trader with itself
    const seller = s.traders[(i + 1 + (i % (n - 1))) % n];
    const mark = s.marks[market];
    const price = mark + BigInt((i % 5) - 2) * (mark / 1000n);
    const qty = BigInt(1 + (i % 3));
    trades.push({
      buy: order(s, buyer, {
        market,
        side: "buy",
        nonce: BigInt(nonceBase + i),
        amount: qty * 2n,
        limitPrice: price + mark / 500n,
      }),
      sell: order(s, seller, {
        market,
        side: "sell",
        nonce: BigInt(nonceBase + i),
        amount: qty,
        limitPrice: price - mark / 500n,
      }),
      qty,
      price,
      takerIsBuyer: i % 2 === 0,
    });
  }
  return trades;
}

export interface DemoReport {
  readonly params: ParamSet;
  readonly constraints: number;
  readonly keySeconds: number;
  readonly keysGenerated: boolean;
  readonly batch: SettledTradeBatch;
  readonly trades: number;
  readonly witnessMs: number;
  readonly proveMs: number;
  readonly verified: boolean;
  readonly tamperedRejected: boolean;
}

/**
 * The foundation demo: build the circuit, make INSECURE development keys, settle a batch
 * of signed trades in the engine, prove it with snarkjs and verify the proof.
 */
export async function runDemo(p: ParamSet, log: (s: string) => void): Promise<DemoReport> {
  const t0 = performance.now();
  const keys = await ensureDevKeys("settle_trades", p, { log });
  const keySeconds = (performance.now() - t0) / 1000;

  const s = sampleExchange(p, 6);
  const trades = sampleTrades(s, p.batch);
  log(`engine: settling ${trades.length} signed trades on ${s.traders.length} accounts`);
  const batch = settleTrades(s.state, trades, s.marks, p.batch);

  log(`prover: Groth16 proof of ${keys.build.constraints} constraints ...`);
  const files = circuitFiles("settle_trades", p);
  const res = await prove(files.wasm, keys.devZkey, toSettleTradesSignals(batch.input));
  const expected = settleTradesPublicSignals(batch.input).map(String);
  if (JSON.stringify(res.publicSignals) !== JSON.stringify(expected)) {
    throw new Error(
      `proof public signals ${res.publicSignals} differ from the engine's ${expected}`,
    );
  }
  const vkey = readVerificationKey(keys.devVkey);
  const verified = await verify(vkey, res.publicSignals, res.proof);
  const tampered = [...res.publicSignals];
  tampered[1] = (BigInt(tampered[1]) + 1n).toString();
  const tamperedRejected = !(await verify(vkey, tampered, res.proof));
  return {
    params: p,
    constraints: keys.build.constraints,
    keySeconds,
    keysGenerated: keys.generated,
    batch,
    trades: trades.length,
    witnessMs: res.witnessMs,
    proveMs: res.proveMs,
    verified,
    tamperedRejected,
  };
}
