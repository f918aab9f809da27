import type { Signer } from "ethers";
import { INSURANCE_ACCOUNT } from "../../domain/constants.ts";
import { DEFAULT_MARKS } from "../../domain/market.ts";
import type { ParamSet } from "../../domain/params.ts";
import { signWithdrawal } from "../../domain/transfers.ts";
import type { CircuitId } from "../../domain/circuits.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleLiquidations,
  settleTradeBatch,
  settleWithdrawals,
  setupWorld,
  type BatchReceipt,
  type Participant,
  type World,
} from "../onchain.ts";
import { order } from "../sample.ts";
import { type Trade } from "../../domain/batch.ts";
import { type ProofResult } from "../../domain/ports.ts";

/** The four batch kinds, each proved by its own circuit and settled by its own call. */
export const BATCH_KINDS = ["trades", "deposits", "withdrawals", "liquidations"] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

export const KIND_CIRCUIT: Record<BatchKind, CircuitId> = {
  trades: "settle_trades",
  deposits: "apply_deposits",
  withdrawals: "process_withdrawals",
  liquidations: "liquidate_batch",
};

/** Slots per proof of a kind in a parameter set (B, K, W or L). */
export function slots(p: ParamSet, kind: BatchKind): number {
  switch (kind) {
    case "trades":
      return p.batch;
    case "deposits":
      return p.deposits;
    case "withdrawals":
      return p.withdrawals;
    case "liquidations":
      return p.liquidations;
  }
}

/** One measured batch: a full batch of its kind, proved and settled on the chain. */
export interface MeasuredBatch {
  readonly kind: BatchKind;
  /** Operations in the batch: always the kind's slot count (full batches only). */
  readonly operations: number;
  /** Gas of the settling transaction (Settlement.submit*). */
  readonly gas: bigint;
  readonly proof: ProofResult;
}

/** Gas of the operations traders and oracle signers pay for themselves. */
export interface OperationGas {
  /** Vault.deposit opening an account (the queue entry's Poseidon hash on-chain). */
  readonly depositNewAccount: number;
  /** Vault.deposit topping up an existing account. */
  readonly depositTopUp: number;
  /** PriceOracle.submitRound with every development signer's report. */
  readonly oracleRound: number;
  /** Settlement.bindRound: Poseidon(Poseidon(configHash, prices), fundingHash, margins), once per round. */
  readonly bindRound: number;
}

/** Oracle prices the benchmark trades at (quote units per lot), per market. */
export const BENCH_MARKS = DEFAULT_MARKS;
/** The crash that puts the thin traders below maintenance: market 0 falls 15%. */
const CRASH_BPS = 8_500n;
/** A thin trader's collateral: 10,000.00 against one 60,000.00 lot at 10% initial margin. */
const THIN_COLLATERAL = 1_000_000n;
const RICH_COLLATERAL = 10_000_000_000_00n;

/**
 * Runs full batches of each kind through a real deployment on the chain behind
 * `deployer`, the way a busy operator would, and measures each one:
 * 1. deposits: every participant opens an account, the insurance fund is topped up, and
 *    top-ups fill the deposit slots; the first full batch of K deposits is measured;
 * 2. an oracle round at BENCH_MARKS (bound in its own transaction);
 * 3. trades: B trades in one batch; the first L make L thin traders long one lot of
 *    market 0 against the rich traders, the rest are between the rich traders, on every
 *    market, maker and taker on both sides;
 * 4. withdrawals: W signed withdrawals of the rich traders;
 * 5. liquidations: a round that crashes market 0 by 15%, then the L thin traders,
 *    now below maintenance margin, liquidated in one batch.
 * Only the kinds in `kinds` are proved and settled (trades need deposits; liquidations
 * need trades). Every proof is made by `w.prover` when given (a fresh proving process
 * per batch in the benchmark), so its time and memory are the proof's own.
 */
export async function measureBatches(
  p: ParamSet,
  deployer: Signer,
  traders: readonly Signer[],
  opts: {
    kinds: readonly BatchKind[];
    prover?: World["prover"];
    log?: (s: string) => void;
  },
): Promise<{ batches: MeasuredBatch[]; operations: OperationGas }> {
  const log = opts.log ?? (() => {});
  const want = new Set<BatchKind>(opts.kinds);
  if (want.has("liquidations")) want.add("trades");
  if (want.has("trades") || want.has("withdrawals")) want.add("deposits");
  const thinCount = want.has("liquidations") ? p.liquidations : 0;
  if (thinCount > p.batch) {
    throw new Error(`measureBatches: ${thinCount} liquidations need as many trade slots`);
  }
  const richCount = 2;
  if (traders.length < thinCount + richCount) {
    throw new Error(`measureBatches needs ${thinCount + richCount} trader signers`);
  }
  const w = await setupWorld(p, deployer, traders.slice(0, thinCount + richCount));
  if (opts.prover) w.prover = opts.prover;
  const thin = w.participants.slice(0, thinCount);
  const rich = w.participants.slice(thinCount);
  const out: MeasuredBatch[] = [];
  const record = (kind: BatchKind, r: BatchReceipt) => {
    if (want.has(kind) && opts.kinds.includes(kind)) {
      out.push({ kind, operations: slots(p, kind), gas: r.gasUsed, proof: r.proof });
    }
  };

  // 1. deposits
  for (const t of thin) await deposit(w, t, THIN_COLLATERAL);
  let depositNewAccount = 0n;
  for (const r of rich) depositNewAccount = await deposit(w, r, RICH_COLLATERAL);
  const fund: Participant = { ...rich[0], account: INSURANCE_ACCOUNT };
  let depositTopUp = await deposit(w, fund, RICH_COLLATERAL);
  let topUp = 0;
  while (w.pending.length % p.deposits !== 0)
    depositTopUp = await deposit(w, rich[topUp++ % 2], 1_000_00n);
  log(`deposits: ${w.pending.length} queued, ${p.deposits} per batch`);
  let first = true;
  while (w.pending.length > 0) {
    const r = await settleDeposits(w);
    if (first) record("deposits", r);
    first = false;
  }

  // 2. an oracle round
  const round = await postRound(w, BENCH_MARKS.slice(0, p.markets));
  const operations: OperationGas = {
    depositNewAccount: Number(depositNewAccount),
    depositTopUp: Number(depositTopUp),
    oracleRound: Number(round.roundGas),
    bindRound: Number(round.bindGas),
  };
  if (!want.has("trades") && !want.has("withdrawals")) return { batches: out, operations };

  // 3. trades
  const nonces = new Map<string, bigint>();
  const next = (who: Participant, market: number) => {
    const k = `${who.account}:${market}`;
    const n = (nonces.get(k) ?? 0n) + 1n;
    nonces.set(k, n);
    return n;
  };
  const side = (who: Participant) => ({ index: who.account!, keys: who.keys });
  const trade = (
    buyer: Participant,
    seller: Participant,
    market: number,
    qty: bigint,
    i: number,
  ): Trade => {
    const price = w.marks[market];
    return {
      buy: order(w, side(buyer), {
        market,
        side: "buy",
        nonce: next(buyer, market),
        amount: qty,
        limitPrice: price,
      }),
      sell: order(w, side(seller), {
        market,
        side: "sell",
        nonce: next(seller, market),
        amount: qty,
        limitPrice: price,
      }),
      qty,
      price,
      takerIsBuyer: i % 2 === 0,
    };
  };
  const trades: Trade[] = [];
  for (let i = 0; i < p.batch; i++) {
    if (i < thin.length) trades.push(trade(thin[i], rich[i % 2], 0, 1n, i));
    else {
      const [a, b] = i % 2 === 0 ? [rich[0], rich[1]] : [rich[1], rich[0]];
      trades.push(trade(a, b, i % p.markets, BigInt(1 + (i % 3)), i));
    }
  }
  log(`trades: ${trades.length} in one batch (${thin.length} open thin traders' positions)`);
  record("trades", await settleTradeBatch(w, trades));

  // 4. withdrawals
  if (want.has("withdrawals")) {
    const ws = [];
    for (let i = 0; i < p.withdrawals; i++) {
      const who = rich[i % 2];
      const nonce = w.state.getAccount(who.account!).withdrawNonce + BigInt(Math.floor(i / 2));
      ws.push(
        signWithdrawal(
          {
            account: who.account!,
            nonce,
            amount: 1_00n,
            recipient: BigInt(await who.signer.getAddress()),
          },
          who.keys.privateKey,
          w.domain,
        ),
      );
    }
    log(`withdrawals: ${ws.length} in one batch`);
    record("withdrawals", await settleWithdrawals(w, ws));
  }

  // 5. liquidations
  if (want.has("liquidations")) {
    const crashed = [...w.marks];
    crashed[0] = (crashed[0] * CRASH_BPS) / 10_000n;
    await postRound(w, crashed);
    log(`liquidations: market 0 down 15%, ${thin.length} thin traders liquidated in one batch`);
    record(
      "liquidations",
      await settleLiquidations(
        w,
        thin.map((t) => t.account!),
      ),
    );
  }
  return { batches: out, operations };
}
