import fs from "node:fs";
import path from "node:path";
import type { Signer } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { signWithdrawal } from "../domain/transfers.ts";
import { CONFIG_FILE_NAME, toConfigFile } from "../engine/batch-file.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleTradeBatch,
  settleWithdrawals,
  setupWorld,
  writeBatchFile,
  type Participant,
  type World,
} from "./onchain.ts";
import { order } from "./sample.ts";
import { type Trade } from "../domain/batch.ts";
import { type BatchData } from "../domain/batch.ts";
import { DEFAULT_MARKS } from "../domain/market.ts";

/**
 * A long settlement history for the audit benchmark: deposits, trades, withdrawals and
 * oracle rounds on a real chain with real proofs, each batch published as the operator
 * publishes it (zkclear-batch/1 files plus config.json).
 */
export interface History {
  readonly world: World;
  readonly dir: string;
  readonly byKind: Record<string, number>;
  readonly seconds: number;
}

export async function buildHistory(
  p: ParamSet,
  deployer: Signer,
  traders: Signer[],
  batches: number,
  dir: string,
  log: (s: string) => void = () => {},
): Promise<History> {
  const t0 = performance.now();
  const w = await setupWorld(p, deployer, traders);
  fs.mkdirSync(dir, { recursive: true });
  const config = toConfigFile({
    chainId: w.d.chainId,
    settlement: w.d.addresses.settlement,
    paramSet: p,
    markets: w.markets,
    fundFloor: w.deployment.fundFloor,
    owners: w.deployment.owners,
  });
  fs.writeFileSync(path.join(dir, CONFIG_FILE_NAME), JSON.stringify(config, null, 2));
  let n = 0;
  const byKind: Record<string, number> = { trades: 0, deposits: 0, withdrawals: 0 };
  const publish = (data: BatchData) => {
    writeBatchFile(w, dir, n, data);
    byKind[data.kind]++;
    n++;
    if (n % 10 === 0) log(`${n}/${batches} batches settled`);
  };
  const depositBatch = async () => publish((await settleDeposits(w)).data);
  const nonces = new Map<bigint, bigint>();
  const next = (x: Participant) => {
    const v = (nonces.get(x.account!) ?? 0n) + 1n;
    nonces.set(x.account!, v);
    return v;
  };
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
  const tradeBatch = async (cycle: number) => {
    const ps = w.participants;
    const trades: Trade[] = [];
    for (let k = 0; k < p.batch; k++) {
      // pairs trade back and forth, so positions stay small and margin is never short
      const a = ps[(2 * k) % ps.length];
      const b = ps[(2 * k + 1) % ps.length];
      const [buyer, seller] = cycle % 2 ? [a, b] : [b, a];
      const market = k % p.markets;
      const price = w.marks[market];
      trades.push({
        buy: order(w, t(buyer), {
          market,
          side: "buy",
          nonce: next(buyer),
          amount: 1n,
          limitPrice: price,
        }),
        sell: order(w, t(seller), {
          market,
          side: "sell",
          nonce: next(seller),
          amount: 1n,
          limitPrice: price,
        }),
        qty: 1n,
        price,
        takerIsBuyer: cycle % 3 === 0,
      });
    }
    publish((await settleTradeBatch(w, trades)).data);
  };
  const withdrawalBatch = async (cycle: number) => {
    const who = w.participants[cycle % w.participants.length];
    const account = w.state.getAccount(who.account!);
    const sw = signWithdrawal(
      {
        account: who.account!,
        nonce: account.withdrawNonce,
        amount: 1_00n,
        recipient: BigInt(await who.signer.getAddress()),
      },
      who.keys.privateKey,
      w.domain,
    );
    publish((await settleWithdrawals(w, [sw])).data);
  };

  for (const x of w.participants) await deposit(w, x, 1_000_000_000_00n);
  while (w.pending.length) await depositBatch();
  const base = DEFAULT_MARKS.slice(0, p.markets);
  await postRound(w, base);
  for (let cycle = 0; n < batches; cycle++) {
    if (cycle % 25 === 24) {
      // a new oracle round: prices drift a little
      await postRound(
        w,
        base.map((m, j) => m + (m * BigInt(((cycle + j * 7) % 11) - 5)) / 200n),
      );
    }
    if (cycle % 10 === 9) await withdrawalBatch(cycle);
    else if (cycle % 10 === 4) {
      await deposit(w, w.participants[cycle % w.participants.length], 1_000_00n);
      await depositBatch();
    } else await tradeBatch(cycle);
  }
  return { world: w, dir, byKind, seconds: (performance.now() - t0) / 1000 };
}
