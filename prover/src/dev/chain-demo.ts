import type { Signer } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { signWithdrawal } from "../domain/transfers.ts";
import { prepareContracts } from "../chain/deploy.ts";
import { type Trader } from "./sample.ts";
import { sampleTrades } from "./demo.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleTradeBatch,
  settleWithdrawals,
  setupWorld,
  type BatchReceipt,
  type World,
} from "./onchain.ts";
import { DEFAULT_MARKS } from "../domain/market.ts";
import { ensureDevKeySet } from "../proving/key-sets.ts";

export interface DemoBatch {
  readonly kind: "deposits" | "trades" | "withdrawals";
  readonly number: number;
  readonly items: number;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly witnessMs: number;
  readonly proveMs: number;
  readonly gasUsed: bigint;
}

export interface ChainDemoReport {
  readonly params: ParamSet;
  readonly batches: DemoBatch[];
  readonly depositGas: bigint;
  readonly finalRoot: bigint;
  readonly onChainRoot: bigint;
  readonly paidOut: bigint;
  readonly world: World;
}

/**
 * The end-to-end demo on a real chain: deploy with INSECURE development keys, traders
 * deposit ERC20 collateral, a proven deposit batch credits them, an oracle round posts
 * prices, proven trade batches settle signed orders, and a proven withdrawal batch pays
 * traders back, who claim from the Vault. Every batch is verified by the contract.
 */
export async function runChainDemo(
  p: ParamSet,
  deployer: Signer,
  traderSigners: readonly Signer[],
  log: (s: string) => void,
  tradeBatches = 2,
): Promise<ChainDemoReport> {
  await ensureDevKeySet(p, log);
  await prepareContracts(log);
  const n = Math.min(traderSigners.length, p.deposits);
  log(`deploying (parameter set "${p.name}") and funding ${n} traders`);
  const w = await setupWorld(p, deployer, traderSigners.slice(0, n));
  const batches: DemoBatch[] = [];
  const record = (kind: DemoBatch["kind"], items: number, oldRoot: bigint, r: BatchReceipt) => {
    const b: DemoBatch = {
      kind,
      number: batches.length,
      items,
      oldRoot,
      newRoot: w.state.root,
      witnessMs: r.proof.witnessMs,
      proveMs: r.proof.proveMs,
      gasUsed: r.gasUsed,
    };
    batches.push(b);
    log(
      `batch ${b.number}: ${kind} x${items}, proved in ${(b.proveMs / 1000).toFixed(1)} s, ${b.gasUsed} gas`,
    );
  };

  let depositGas = 0n;
  for (const who of w.participants) depositGas += await deposit(w, who, 1_000_000_000n);
  let root = w.state.root;
  const credited = w.pending.length;
  record("deposits", credited, root, await settleDeposits(w));

  await postRound(w, DEFAULT_MARKS.slice(0, p.markets));
  log(`oracle round ${w.round}: ${w.marks.join(", ")}`);
  const traders: Trader[] = w.participants.map((x) => ({ index: x.account!, keys: x.keys }));
  for (let b = 0; b < tradeBatches; b++) {
    const trades = sampleTrades(
      { traders, markets: w.markets, marks: w.marks, domain: w.domain },
      p.batch,
      100 + b * p.batch,
    );
    root = w.state.root;
    record("trades", trades.length, root, await settleTradeBatch(w, trades));
  }

  const ws = [];
  let paidOut = 0n;
  for (const who of w.participants.slice(0, p.withdrawals)) {
    const amount = 100_000_000n;
    const nonce = w.state.getAccount(who.account!).withdrawNonce;
    ws.push(
      signWithdrawal(
        { account: who.account!, nonce, amount, recipient: BigInt(await who.signer.getAddress()) },
        who.keys.privateKey,
        w.domain,
      ),
    );
    paidOut += amount;
  }
  root = w.state.root;
  record("withdrawals", ws.length, root, await settleWithdrawals(w, ws));
  for (const who of w.participants.slice(0, p.withdrawals)) {
    await (await w.d.vault.connect(who.signer).getFunction("claim")()).wait();
  }
  const onChainRoot = BigInt(await w.d.settlement.getFunction("stateRoot")());
  return {
    params: p,
    batches,
    depositGas,
    finalRoot: w.state.root,
    onChainRoot,
    paidOut,
    world: w,
  };
}
