import fs from "node:fs";
import path from "node:path";
import { Contract, Wallet, type Signer } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { defaultMarkets, type MarketParams } from "../domain/market.ts";
import { devKeyPair, type KeyPair } from "../domain/keys.ts";
import type { Deposit, SignedWithdrawal } from "../domain/transfers.ts";
import { ExchangeState } from "../engine/state.ts";
import { settleTrades, type Trade } from "../engine/trades.ts";
import { applyDeposits, processWithdrawals } from "../engine/transfers.ts";
import { liquidate } from "../engine/liquidations.ts";
import { batchFileName, toBatchFile, type BatchData } from "../engine/batch-file.ts";
import {
  toApplyDepositsSignals,
  toLiquidateBatchSignals,
  toProcessWithdrawalsSignals,
  toSettleTradesSignals,
  type SignalValue,
} from "../engine/inputs.ts";
import type { CircuitId } from "../proving/circuits.ts";
import { ensureDevKeys } from "../proving/keys.ts";
import { circuitFiles } from "../proving/paths.ts";
import { prove, type ProofResult } from "../proving/prover.ts";
import { deploy, type DeployOptions, type Deployment } from "../chain/deploy.ts";
import { signReport, submitRoundArgs } from "../chain/oracle-reports.ts";
import {
  submitDeposits,
  submitLiquidations,
  submitTrades,
  submitWithdrawals,
} from "../chain/settlement.ts";

/**
 * An operator's whole loop against a real chain, for the end-to-end test, the demo and
 * the gas benchmark: deploy, deposit, post oracle rounds, and prove and submit batches
 * of every kind with the engine as the source of truth. Development keys only.
 */
export interface Participant {
  readonly signer: Signer;
  readonly keys: KeyPair;
  account?: bigint;
}

export interface World {
  readonly p: ParamSet;
  readonly markets: readonly MarketParams[];
  readonly d: Deployment;
  readonly state: ExchangeState;
  readonly oracleWallets: readonly Wallet[];
  readonly participants: Participant[];
  /** Deposits seen on-chain and not yet credited by a proven batch. */
  readonly pending: Deposit[];
  /** Queue hash of the last credited deposit. */
  queueHash: bigint;
  round: bigint;
  marks: bigint[];
  /**
   * Proves a batch; default: in this process with the set's development key. The
   * benchmarks prove in a fresh proving process per batch, to measure its memory.
   */
  prover?: (id: CircuitId, signals: Record<string, SignalValue>) => Promise<ProofResult>;
}

export interface BatchReceipt {
  readonly gasUsed: bigint;
  readonly proof: ProofResult;
  /** What an operator publishes for the batch (engine/batch-file.ts). */
  readonly data: BatchData;
}

export async function setupWorld(
  p: ParamSet,
  deployer: Signer,
  traders: readonly Signer[],
  opts: {
    oracleSigners?: number;
    quorum?: number;
    fund?: bigint;
    /** Test-only deployment changes (another token, verifier overrides). */
    deploy?: Partial<DeployOptions>;
  } = {},
): Promise<World> {
  const markets = defaultMarkets(p.markets);
  const oracleWallets = Array.from(
    { length: opts.oracleSigners ?? 3 },
    (_, i) => new Wallet(`0x${(0x1000 + i).toString(16).padStart(64, "0")}`),
  );
  const d = await deploy(deployer, {
    params: p,
    markets,
    oracle: {
      signers: oracleWallets.map((w) => w.address),
      quorum: opts.quorum ?? 2,
      maxReportAge: 3600,
      bounds: markets.map(() => [1n, (1n << 64n) - 1n] as const),
    },
    ...opts.deploy,
  });
  const participants: Participant[] = [];
  for (const [i, signer] of traders.entries()) {
    const addr = await signer.getAddress();
    await (await d.token.getFunction("mint")(addr, opts.fund ?? 10n ** 15n)).wait();
    await (
      await (d.token.connect(signer) as Contract).getFunction("approve")(
        await d.vault.getAddress(),
        2n ** 255n,
      )
    ).wait();
    participants.push({ signer, keys: devKeyPair(`chain-trader-${i}`) });
  }
  return {
    p,
    markets,
    d,
    state: ExchangeState.genesis(p.depth, markets),
    oracleWallets,
    participants,
    pending: [],
    queueHash: 0n,
    round: 0n,
    marks: [],
  };
}

/** A participant deposits; a first deposit creates its account. Returns the gas used. */
export async function deposit(w: World, who: Participant, amount: bigint): Promise<bigint> {
  const vault = w.d.vault.connect(who.signer) as Contract;
  const k = who.keys.publicKey;
  const tx = await vault.getFunction("deposit")(
    who.account ?? 0n,
    who.account ? 0n : k.x,
    who.account ? 0n : k.y,
    amount,
  );
  const receipt = await tx.wait();
  const ev = receipt.logs
    .map((l: { topics: string[]; data: string }) => w.d.vault.interface.parseLog(l))
    .find((e: { name: string } | null) => e?.name === "Deposited");
  const account = BigInt(ev.args.account);
  w.pending.push({ account, amount, pubKey: { x: BigInt(ev.args.pkX), y: BigInt(ev.args.pkY) } });
  who.account = account;
  return BigInt(receipt.gasUsed);
}

/** Posts an oracle round signed by the first `quorum` wallets and binds it. */
export async function postRound(
  w: World,
  prices: readonly bigint[],
): Promise<{ roundGas: bigint; bindGas: bigint }> {
  const provider = w.d.oracle.runner?.provider;
  const block = await provider!.getBlock("latest");
  const chainId = (await provider!.getNetwork()).chainId;
  const roundId = w.round + 1n;
  const oracleAddr = await w.d.oracle.getAddress();
  const signed = [];
  for (const wallet of w.oracleWallets) {
    signed.push(
      await signReport(wallet, oracleAddr, chainId, {
        roundId,
        timestamp: BigInt(block!.timestamp),
        prices,
      }),
    );
  }
  const r1 = await (
    await w.d.oracle.getFunction("submitRound")(...submitRoundArgs(roundId, signed))
  ).wait();
  const r2 = await (await w.d.settlement.getFunction("bindRound")(roundId)).wait();
  w.round = roundId;
  w.marks = [...prices];
  return { roundGas: BigInt(r1.gasUsed), bindGas: BigInt(r2.gasUsed) };
}

async function proveCircuit(
  w: World,
  id: CircuitId,
  signals: Record<string, SignalValue>,
  zkey?: string,
): Promise<ProofResult> {
  if (!zkey && w.prover) return w.prover(id, signals);
  const key = zkey ?? (await ensureDevKeys(id, w.p)).devZkey;
  return prove(circuitFiles(id, w.p).wasm, key, signals);
}

/** Applies the pending deposits (at most K) in the engine and proves them. */
export async function proveDeposits(w: World) {
  const batch = w.pending.splice(0, w.p.deposits);
  const r = applyDeposits(w.state, batch, w.queueHash, w.p.deposits);
  const proof = await proveCircuit(w, "apply_deposits", toApplyDepositsSignals(r.input));
  w.queueHash = r.queueTo;
  const data: BatchData = { kind: "deposits", deposits: batch, ...r };
  return { r, proof, count: batch.length, data };
}

/** Proves and submits the pending deposits (at most K). */
export async function settleDeposits(w: World): Promise<BatchReceipt> {
  const { r, proof, count, data } = await proveDeposits(w);
  const receipt = await submitDeposits(w.d.settlement, proof.proof, r, count);
  return { gasUsed: receipt.gasUsed, proof, data };
}

/**
 * Applies a trade batch in the engine at `marks` (default: the current round's) and
 * proves it, with the development key unless `zkey` is given.
 */
export async function proveTrades(
  w: World,
  trades: readonly Trade[],
  marks: readonly bigint[] = w.marks,
  zkey?: string,
) {
  const r = settleTrades(w.state, trades, marks, w.p.batch);
  const proof = await proveCircuit(w, "settle_trades", toSettleTradesSignals(r.input), zkey);
  const data: BatchData = {
    kind: "trades",
    trades: [...trades],
    marks: [...marks],
    round: w.round,
    ...r,
  };
  return { r, proof, data };
}

/** Proves and submits a trade batch at the current round's prices. */
export async function settleTradeBatch(w: World, trades: readonly Trade[]): Promise<BatchReceipt> {
  const { r, proof, data } = await proveTrades(w, trades);
  const receipt = await submitTrades(w.d.settlement, proof.proof, r, w.round);
  return { gasUsed: receipt.gasUsed, proof, data };
}

/** Applies signed withdrawals in the engine and proves them. */
export async function proveWithdrawals(w: World, ws: readonly SignedWithdrawal[]) {
  const r = processWithdrawals(w.state, ws, w.marks, w.p.withdrawals);
  const proof = await proveCircuit(w, "process_withdrawals", toProcessWithdrawalsSignals(r.input));
  const data: BatchData = {
    kind: "withdrawals",
    withdrawals: [...ws],
    marks: [...w.marks],
    round: w.round,
    ...r,
  };
  return { r, proof, data };
}

/** Proves and submits signed withdrawals at the current round's prices. */
export async function settleWithdrawals(
  w: World,
  ws: readonly SignedWithdrawal[],
): Promise<BatchReceipt> {
  const { r, proof, data } = await proveWithdrawals(w, ws);
  const receipt = await submitWithdrawals(w.d.settlement, proof.proof, r, w.round);
  return { gasUsed: receipt.gasUsed, proof, data };
}

/** Liquidates accounts below maintenance at the current round's prices: engine, proof. */
export async function proveLiquidations(w: World, accounts: readonly bigint[]) {
  const r = liquidate(w.state, accounts, w.marks, w.p.liquidations);
  const proof = await proveCircuit(w, "liquidate_batch", toLiquidateBatchSignals(r.input));
  const data: BatchData = {
    kind: "liquidations",
    accounts: [...accounts],
    marks: [...w.marks],
    round: w.round,
    ...r,
  };
  return { r, proof, data };
}

/** Proves and submits a liquidation batch at the current round's prices. */
export async function settleLiquidations(
  w: World,
  accounts: readonly bigint[],
): Promise<BatchReceipt> {
  const { r, proof, data } = await proveLiquidations(w, accounts);
  const receipt = await submitLiquidations(w.d.settlement, proof.proof, r, w.round);
  return { gasUsed: receipt.gasUsed, proof, data };
}

/** Writes a settled batch's file (zkclear-batch/1) as the operator publishes it. */
export function writeBatchFile(w: World, dir: string, batch: number, data: BatchData): void {
  const meta = {
    chainId: BigInt(w.d.addresses.chainId),
    settlement: w.d.addresses.settlement,
    batch,
  };
  fs.writeFileSync(path.join(dir, batchFileName(batch)), JSON.stringify(toBatchFile(data, meta)));
}
