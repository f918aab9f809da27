import { getAddress, id, Interface, zeroPadValue, type Log, type Provider } from "ethers";
import { FUNDING_ABI } from "./deployment-checks.ts";
import { AuditError } from "./findings.ts";
import {
  oracleIface,
  settlementIface,
  tokenIface,
  vaultIface,
  type SettlementInfo,
} from "./chain.ts";

/**
 * The events the audit reads, decoded: Settlement's batches, forced requests, freeze and
 * exits, the Vault's queue, credits (at once and delayed), claims and reclaims, the oracle's rounds, the Funding
 * contract's ticks, and the collateral token's transfers in and out of the Vault.
 */
/** One decoded event, with where it happened. */
export type ChainEvent = {
  readonly block: number;
  readonly txIndex: number;
  readonly logIndex: number;
  readonly txHash: string;
} & (
  | {
      name: "BatchSettled";
      batch: number;
      kind: number;
      oldRoot: bigint;
      newRoot: bigint;
      commitment: bigint;
      roundId: bigint;
    }
  | { name: "LiquidationsSettled"; batch: number; roundId: bigint; prices: bigint[] }
  | {
      name: "Deposited";
      index: number;
      account: bigint;
      pkX: bigint;
      pkY: bigint;
      amount: bigint;
      queueHash: bigint;
      /** 0, or 1 + the market a new sub-account is isolated to. */
      flag: bigint;
    }
  | { name: "Credited"; recipient: string; amount: bigint }
  | { name: "Claimed"; recipient: string; amount: bigint }
  | { name: "CreditDelayed"; id: bigint; recipient: string; amount: bigint }
  | { name: "DelayedCreditClaimed"; id: bigint; recipient: string; amount: bigint }
  | {
      name: "RoundFinalized";
      roundId: bigint;
      timestamp: bigint;
      prices: bigint[];
      /** The time of the block that posted the round (the margin rule's grace runs in it). */
      postedAt: bigint;
    }
  | { name: "VaultTransfer"; delta: bigint }
  | { name: "DepositReclaimed"; index: number; account: bigint; amount: bigint }
  | {
      name: "ForcedRequested";
      index: number;
      account: bigint;
      requester: string;
      amount: bigint;
      recipient: string;
      sigR8x: bigint;
      sigR8y: bigint;
      sigS: bigint;
      queueHash: bigint;
    }
  | { name: "ForcedAnswered"; batch: number; from: number; count: number; outcomes: bigint }
  | { name: "Frozen"; by: string; root: bigint; batches: number; roundId: bigint }
  | { name: "ExitClaimed"; account: number; recipient: string; payout: bigint }
  | { name: "ExitPaid"; account: number; recipient: string; payout: bigint; paid: bigint }
  | {
      name: "FundingTicked";
      tick: number;
      fromRound: bigint;
      priceRound: bigint;
      ratesPpm: bigint[];
      indices: bigint[];
    }
);

const fundingIface = new Interface(FUNDING_ABI);

/**
 * Every event the audit needs in blocks [from, to], in chain order. getLogs is called
 * per `chunk` blocks, since public endpoints cap the range of one call.
 */
export async function fetchEvents(
  provider: Provider,
  info: SettlementInfo,
  from: number,
  to: number,
  chunk = 5000,
): Promise<ChainEvent[]> {
  const out: ChainEvent[] = [];
  const vaultTopic = zeroPadValue(info.vault, 32);
  const transfer = id("Transfer(address,address,uint256)");
  for (let a = from; a <= to; a += chunk) {
    const b = Math.min(to, a + chunk - 1);
    const range = { fromBlock: a, toBlock: b };
    const [sLogs, vLogs, oLogs, fLogs, tIn, tOut] = await Promise.all([
      provider.getLogs({ ...range, address: info.address }),
      provider.getLogs({ ...range, address: info.vault }),
      provider.getLogs({ ...range, address: info.oracle }),
      provider.getLogs({ ...range, address: info.funding }),
      provider.getLogs({ ...range, address: info.token, topics: [transfer, null, vaultTopic] }),
      provider.getLogs({ ...range, address: info.token, topics: [transfer, vaultTopic] }),
    ]);
    for (const l of sLogs) push(out, l, settlementIface);
    for (const l of vLogs) push(out, l, vaultIface);
    for (const l of oLogs) push(out, l, oracleIface);
    for (const l of fLogs) push(out, l, fundingIface);
    // a transfer from the vault to itself moves nothing: counted in and out
    for (const l of tIn) pushTransfer(out, l, 1n);
    for (const l of tOut) pushTransfer(out, l, -1n);
  }
  out.sort((x, y) => x.block - y.block || x.txIndex - y.txIndex || x.logIndex - y.logIndex);
  // a round's posting time: its block's (one read per block that posted rounds)
  const times = new Map<number, bigint>();
  for (const e of out) {
    if (e.name !== "RoundFinalized") continue;
    let t = times.get(e.block);
    if (t === undefined) {
      const b = await provider.getBlock(e.block);
      if (!b) throw new AuditError("RPC_FAILED", `the node returned no block ${e.block}`);
      t = BigInt(b.timestamp);
      times.set(e.block, t);
    }
    (e as { postedAt: bigint }).postedAt = t;
  }
  return out;
}

const where = (l: Log) => ({
  block: l.blockNumber,
  txIndex: l.transactionIndex,
  logIndex: l.index,
  txHash: l.transactionHash,
});

function pushTransfer(out: ChainEvent[], l: Log, sign: bigint): void {
  const ev = tokenIface.parseLog(l);
  if (!ev) return;
  out.push({ ...where(l), name: "VaultTransfer", delta: sign * (ev.args.value as bigint) });
}

function push(out: ChainEvent[], l: Log, iface: Interface): void {
  let ev;
  try {
    ev = iface.parseLog(l);
  } catch {
    return; // an event the audit does not need (pause, signer changes, …)
  }
  if (!ev) return;
  const a = ev.args;
  const w = where(l);
  switch (ev.name) {
    case "BatchSettled":
      out.push({
        ...w,
        name: ev.name,
        batch: Number(a.batch),
        kind: Number(a.kind),
        oldRoot: a.oldRoot,
        newRoot: a.newRoot,
        commitment: a.dataCommitment,
        roundId: a.roundId,
      });
      break;
    case "LiquidationsSettled":
      out.push({
        ...w,
        name: ev.name,
        batch: Number(a.batch),
        roundId: a.roundId,
        prices: [...a.prices],
      });
      break;
    case "Deposited":
      out.push({
        ...w,
        name: ev.name,
        index: Number(a.index),
        account: a.account,
        pkX: a.pkX,
        pkY: a.pkY,
        amount: a.amount,
        queueHash: a.queueHash,
        flag: BigInt(a.flag),
      });
      break;
    case "Credited":
    case "Claimed":
      out.push({ ...w, name: ev.name, recipient: getAddress(a.recipient), amount: a.amount });
      break;
    case "CreditDelayed":
    case "DelayedCreditClaimed":
      out.push({
        ...w,
        name: ev.name,
        id: a.id as bigint,
        recipient: getAddress(a.recipient),
        amount: a.amount,
      });
      break;
    case "DepositReclaimed":
      out.push({
        ...w,
        name: ev.name,
        index: Number(a.index),
        account: a.account,
        amount: a.amount,
      });
      break;
    case "ForcedRequested":
      out.push({
        ...w,
        name: ev.name,
        index: Number(a.index),
        account: a.account,
        requester: getAddress(a.requester),
        amount: a.amount,
        recipient: getAddress(a.recipient),
        sigR8x: a.sigR8x,
        sigR8y: a.sigR8y,
        sigS: a.sigS,
        queueHash: a.queueHash,
      });
      break;
    case "ForcedAnswered":
      out.push({
        ...w,
        name: ev.name,
        batch: Number(a.batch),
        from: Number(a.from),
        count: Number(a.count),
        outcomes: a.outcomes,
      });
      break;
    case "Frozen":
      out.push({
        ...w,
        name: ev.name,
        by: getAddress(a.by),
        root: a.root,
        batches: Number(a.batches),
        roundId: a.roundId,
      });
      break;
    case "ExitClaimed":
    case "ExitPaid":
      out.push({
        ...w,
        name: ev.name,
        account: Number(a.account),
        recipient: getAddress(a.recipient),
        payout: a.payout,
        ...(ev.name === "ExitPaid" ? { paid: a.paid as bigint } : {}),
      } as ChainEvent);
      break;
    case "FundingTicked":
      out.push({
        ...w,
        name: ev.name,
        tick: Number(a.tick),
        fromRound: a.fromRound,
        priceRound: a.priceRound,
        ratesPpm: [...a.ratesPpm].map(BigInt),
        indices: [...a.indices].map(BigInt),
      });
      break;
    case "RoundFinalized":
      out.push({
        ...w,
        name: ev.name,
        roundId: a.roundId,
        timestamp: a.timestamp,
        prices: [...a.prices],
        // set by fetchEvents from the block
        postedAt: 0n,
      });
      break;
  }
}
