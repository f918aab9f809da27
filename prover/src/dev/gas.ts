import type { Signer } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { signWithdrawal } from "../domain/transfers.ts";
import type { Trade } from "../engine/trades.ts";
import { order } from "./sample.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleTradeBatch,
  settleWithdrawals,
  setupWorld,
} from "./onchain.ts";

export interface GasReport {
  readonly params: ParamSet;
  readonly depositNewAccount: bigint;
  readonly depositExisting: bigint;
  readonly depositBatch: bigint;
  readonly oracleRound: bigint;
  readonly bindRound: bigint;
  readonly tradeBatch: bigint;
  readonly withdrawalBatch: bigint;
}

const MARKS = [60_000_00n, 3_000_00n, 150_00n, 1_00n];

/**
 * Measures gas on a real chain for full batches of each kind: K deposits, B trades,
 * W withdrawals (full batches, so the per-operation figures are what a busy operator pays).
 */
export async function measureGas(
  p: ParamSet,
  deployer: Signer,
  traders: Signer[],
  log: (s: string) => void,
): Promise<GasReport> {
  if (traders.length < 2) throw new Error("measureGas needs at least two traders");
  // every trader's first deposit must fit the one measured deposit batch
  const w = await setupWorld(p, deployer, traders.slice(0, Math.min(traders.length, p.deposits)));
  const n = w.participants.length;
  log(`deposits: ${p.deposits} slots`);
  let depositNewAccount = 0n;
  let depositExisting = 0n;
  for (let i = 0; i < p.deposits; i++) {
    const who = w.participants[i % n];
    const g = await deposit(w, who, 100_000_000_00n);
    if (i < n) depositNewAccount = g;
    else depositExisting = g;
  }
  const depositBatch = (await settleDeposits(w)).gasUsed;
  log(`oracle round`);
  const { roundGas, bindGas } = await postRound(w, MARKS.slice(0, p.markets));
  log(`trades: ${p.batch} slots`);
  const trades: Trade[] = [];
  for (let i = 0; i < p.batch; i++) {
    const buyer = w.participants[i % n];
    const seller = w.participants[(i + 1) % n];
    const market = i % p.markets;
    const px = w.marks[market];
    const t = (who: typeof buyer) => ({ index: who.account!, keys: who.keys });
    trades.push({
      buy: order(w, t(buyer), {
        market,
        side: "buy",
        nonce: BigInt(i + 1),
        amount: 1n,
        limitPrice: px,
      }),
      sell: order(w, t(seller), {
        market,
        side: "sell",
        nonce: BigInt(i + 1),
        amount: 1n,
        limitPrice: px,
      }),
      qty: 1n,
      price: px,
      takerIsBuyer: i % 2 === 0,
    });
  }
  const tradeBatch = (await settleTradeBatch(w, trades)).gasUsed;
  log(`withdrawals: ${p.withdrawals} slots`);
  const ws = [];
  for (let i = 0; i < p.withdrawals; i++) {
    const who = w.participants[i % n];
    const nonce = w.state.getAccount(who.account!).withdrawNonce + BigInt(Math.floor(i / n));
    ws.push(
      signWithdrawal(
        {
          account: who.account!,
          nonce,
          amount: 1_00n,
          recipient: BigInt(await who.signer.getAddress()),
        },
        who.keys.privateKey,
      ),
    );
  }
  const withdrawalBatch = (await settleWithdrawals(w, ws)).gasUsed;
  return {
    params: p,
    depositNewAccount,
    depositExisting,
    depositBatch,
    oracleRound: roundGas,
    bindRound: bindGas,
    tradeBatch,
    withdrawalBatch,
  };
}

export function formatGas(rows: readonly GasReport[]): string {
  const head =
    "| set | deposit (new account) | deposit (existing) | deposit batch (K) | per deposit | oracle round | bind round | trade batch (B) | per trade | withdrawal batch (W) | per withdrawal |";
  const sep = "|---|---|---|---|---|---|---|---|---|---|---|";
  const per = (g: bigint, k: number) => (g / BigInt(k)).toString();
  return [
    head,
    sep,
    ...rows.map(
      (r) =>
        `| ${r.params.name} | ${r.depositNewAccount} | ${r.depositExisting} | ${r.depositBatch} (${r.params.deposits}) | ${per(r.depositBatch, r.params.deposits)} | ${r.oracleRound} | ${r.bindRound} | ${r.tradeBatch} (${r.params.batch}) | ${per(r.tradeBatch, r.params.batch)} | ${r.withdrawalBatch} (${r.params.withdrawals}) | ${per(r.withdrawalBatch, r.params.withdrawals)} |`,
    ),
  ].join("\n");
}
