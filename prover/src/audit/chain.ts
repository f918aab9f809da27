import { Contract, Interface, getAddress, type JsonRpcApiProvider, type Provider } from "ethers";
import type { Groth16Proof } from "snarkjs";
import { AuditError } from "./findings.ts";
import type { BatchKind } from "../domain/batch.ts";
import { BATCH_KIND_NAMES, BATCH_KINDS } from "../domain/batch-kinds.ts";
import { CIRCUIT_IDS, CIRCUITS, type CircuitId } from "../domain/circuits.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import {
  oneX,
  unpackMarginsWord,
  type MarginRule,
  type RoundMargins,
} from "../domain/volatility.ts";

/**
 * What the auditor reads from the chain, through nothing but a JSON-RPC provider: the
 * Settlement contract's configuration, the events of Settlement, Vault, PriceOracle and
 * the collateral token (for the Vault's balance), and the calldata of batch
 * transactions (for the proofs). The ABI fragments are written out here so an auditor
 * needs no compiled artifacts of the operator's.
 */
export const SETTLEMENT_ABI = [
  ...CIRCUIT_IDS.map((id) => `function ${CIRCUITS[id].verifierGetter}() view returns (address)`),
  ...BATCH_KIND_NAMES.map((k) => BATCH_KINDS[k].submitAbi),
  "function oracle() view returns (address)",
  "function funding() view returns (address)",
  "function vault() view returns (address)",
  "function configHash() view returns (uint256)",
  "function marketCount() view returns (uint8)",
  "function withdrawalSlots() view returns (uint8)",
  "function stateRoot() view returns (uint256)",
  "function batchCount() view returns (uint64)",
  "function roundBinding(uint64) view returns (uint256)",
  "function roundTradeBinding(uint64) view returns (uint256)",
  "function maxPriceAge() view returns (uint64)",
  "function roundGrace() view returns (uint64)",
  "function roundPostedAt(uint64) view returns (uint256)",
  "event BatchSettled(uint64 indexed batch, uint8 indexed kind, uint256 oldRoot, uint256 newRoot, uint256 dataCommitment, uint64 roundId)",
  "event LiquidationsSettled(uint64 indexed batch, uint64 indexed roundId, uint64[] prices, uint256 dataCommitment)",
  // the escape hatch (EscapeHatch.sol, inherited by Settlement) and the exit
  "function forcedDeadline() view returns (uint64)",
  "function freezeInfo() view returns (uint64 frozenAt, uint64 roundId, uint64 batches)",
  "function exitInfo() view returns (uint256 pool, uint256 claimed, uint256 paidOut, uint64 windowEnd)",
  "event ForcedRequested(uint64 indexed index, uint32 indexed account, address indexed requester, uint256 amount, address recipient, uint256 sigR8x, uint256 sigR8y, uint256 sigS, uint256 queueHash)",
  "event ForcedAnswered(uint64 indexed batch, uint64 from, uint64 count, uint256 outcomes)",
  "event Frozen(address indexed by, uint256 root, uint64 batches, uint64 roundId)",
  "event ExitClaimed(uint32 indexed account, address indexed recipient, uint256 payout)",
  "event ExitPaid(uint32 indexed account, address indexed recipient, uint256 payout, uint256 paid)",
];
export const VAULT_ABI = [
  "function token() view returns (address)",
  "function settlement() view returns (address)",
  "event Deposited(uint64 indexed index, uint64 indexed account, address indexed from, uint256 pkX, uint256 pkY, uint256 amount, uint256 queueHash, uint8 flag)",
  "event Credited(address indexed recipient, uint256 amount)",
  "event Claimed(address indexed recipient, uint256 amount)",
  "event CreditDelayed(uint256 indexed id, address indexed recipient, uint256 amount, uint256 claimableAt)",
  "event DelayedCreditClaimed(uint256 indexed id, address indexed recipient, uint256 amount)",
  "event DepositReclaimed(uint64 indexed index, uint64 indexed account, address indexed depositor, uint256 amount)",
  "function ownerRotation(uint64 account) view returns (uint256 pkX, uint256 pkY, uint256 keyHash, uint64 time, uint64 position)",
];
export const ORACLE_ABI = [
  "function roundPrices(uint64) view returns (uint64[])",
  "function roundTimestamp(uint64) view returns (uint64)",
  "function roundReduceOnly(uint64) view returns (uint8)",
  "function breakerMoveBps() view returns (uint16)",
  "function breakerCooldown() view returns (uint32)",
  "function roundMarginsWord(uint64) view returns (uint256)",
  "function volSpan() view returns (uint32)",
  "function volRefBps() view returns (uint32)",
  "function marginFloorBps() view returns (uint32)",
  "function marginCeilBps() view returns (uint32)",
  "function marginGrace() view returns (uint32)",
  "event BreakerTripped(uint8 indexed market, uint64 indexed roundId, uint64 previousPrice, uint64 price, uint64 until)",
  "function latestRound() view returns (uint64 roundId, uint64 timestamp)",
  "event RoundFinalized(uint64 indexed roundId, uint64 timestamp, uint64[] prices, address[] signers)",
];
export const TOKEN_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
];

export const settlementIface = new Interface(SETTLEMENT_ABI);
export const vaultIface = new Interface(VAULT_ABI);
export const oracleIface = new Interface(ORACLE_ABI);
export const tokenIface = new Interface(TOKEN_ABI);

export interface SettlementInfo {
  readonly address: string;
  /** Each batch kind's verifier, by circuit. */
  readonly verifiers: Readonly<Record<CircuitId, string>>;
  readonly oracle: string;
  /** Settlement's Funding contract: the funding indices of each round. */
  readonly funding: string;
  readonly vault: string;
  /** Whom the Vault takes withdrawal credits from: must be this Settlement. */
  readonly vaultSettlement: string;
  readonly token: string;
  readonly configHash: bigint;
  readonly marketCount: number;
  readonly withdrawalSlots: number;
  /** The price rule's immutables (see round-rule.ts), seconds. */
  readonly maxPriceAge: bigint;
  readonly roundGrace: bigint;
  /** Seconds the operator has to answer a forced request (null: no escape hatch). */
  readonly forcedDeadline: bigint | null;
}

export async function readSettlement(provider: Provider, address: string): Promise<SettlementInfo> {
  const s = new Contract(address, settlementIface, provider);
  if ((await provider.getCode(address)) === "0x")
    throw new AuditError(
      "NOT_SETTLEMENT",
      `no contract at ${address}: is this the Settlement address on this chain?`,
    );
  const call = async <T>(name: string): Promise<T> => (await s.getFunction(name)()) as T;
  const vault = await call<string>("vault");
  const v = new Contract(vault, vaultIface, provider);
  const token = (await v.getFunction("token")()) as string;
  const vaultSettlement = getAddress((await v.getFunction("settlement")()) as string);
  return {
    address: getAddress(address),
    // every circuit's verifier, the exit's and the skip proof's too: a verifier that
    // accepts anything there would let anyone drain the Vault or freeze the exchange
    verifiers: Object.fromEntries(
      await Promise.all(
        CIRCUIT_IDS.map(async (id) => [id, await call<string>(CIRCUITS[id].verifierGetter)]),
      ),
    ) as Record<CircuitId, string>,
    oracle: await call<string>("oracle"),
    funding: await call<string>("funding"),
    vault,
    vaultSettlement,
    token,
    configHash: await call<bigint>("configHash"),
    marketCount: Number(await call<bigint>("marketCount")),
    withdrawalSlots: Number(await call<bigint>("withdrawalSlots")),
    maxPriceAge: await call<bigint>("maxPriceAge"),
    roundGrace: await call<bigint>("roundGrace"),
    forcedDeadline: await call<bigint>("forcedDeadline").catch(() => null),
  };
}

/** A batch transaction's call, decoded: the proof and the arguments it was sent with. */
export interface BatchCall {
  readonly kind: BatchKind;
  readonly proof: Groth16Proof;
  /** The call's other arguments by name (the kind's submitAbi). */
  readonly args: Readonly<Record<string, unknown>>;
}

/**
 * Decodes the Settlement call of a batch transaction. A batch sent through another
 * contract (a multisig, say) has no direct call to decode: that is reported, not guessed.
 */
export async function readBatchCall(
  provider: Provider,
  txHash: string,
  settlement: string,
): Promise<BatchCall> {
  const tx = await provider.getTransaction(txHash);
  if (!tx) throw new AuditError("BATCH_CALL_UNREADABLE", `transaction ${txHash} not found`);
  if (!tx.to || getAddress(tx.to) !== getAddress(settlement))
    throw new AuditError(
      "BATCH_CALL_UNREADABLE",
      `transaction ${txHash} calls ${tx.to}, not Settlement: the proof is not in its calldata`,
    );
  const call = settlementIface.parseTransaction({ data: tx.data });
  if (!call)
    throw new AuditError(
      "BATCH_CALL_UNREADABLE",
      `transaction ${txHash}: not a Settlement batch call`,
    );
  const [p] = call.args as unknown as [{ a: bigint[]; b: bigint[][]; c: bigint[] }];
  const s = (x: bigint) => x.toString();
  // the verifier takes G2 coordinates as (c1, c0): back to snarkjs's (c0, c1)
  const proof: Groth16Proof = {
    pi_a: [s(p.a[0]), s(p.a[1]), "1"],
    pi_b: [
      [s(p.b[0][1]), s(p.b[0][0])],
      [s(p.b[1][1]), s(p.b[1][0])],
      ["1", "0"],
    ],
    pi_c: [s(p.c[0]), s(p.c[1]), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
  const kind = BATCH_KIND_NAMES.find((k) => BATCH_KINDS[k].method === call.name);
  if (!kind)
    throw new AuditError(
      "BATCH_CALL_UNREADABLE",
      `transaction ${txHash}: ${call.name} is not a batch submission`,
    );
  return { kind, proof, args: call.args.toObject() };
}

export async function settlementAt(
  provider: Provider,
  address: string,
  blockTag: number,
): Promise<{ stateRoot: bigint; batchCount: number }> {
  const s = new Contract(address, settlementIface, provider);
  return {
    stateRoot: (await s.getFunction("stateRoot")({ blockTag })) as bigint,
    batchCount: Number(await s.getFunction("batchCount")({ blockTag })),
  };
}

export async function roundBinding(provider: Provider, settlement: string, roundId: bigint) {
  return (await new Contract(settlement, settlementIface, provider).getFunction("roundBinding")(
    roundId,
  )) as bigint;
}

/** Settlement's binding of round `roundId` for trade batches (its reduce-only markets too). */
export async function roundTradeBinding(provider: Provider, settlement: string, roundId: bigint) {
  return (await new Contract(settlement, settlementIface, provider).getFunction(
    "roundTradeBinding",
  )(roundId)) as bigint;
}

/** The oracle's circuit breaker rule (immutable in PriceOracle). */
export async function breakerRule(
  provider: Provider,
  oracle: string,
): Promise<{ moveBps: bigint; cooldown: bigint }> {
  const o = new Contract(oracle, oracleIface, provider);
  return {
    moveBps: BigInt(await o.getFunction("breakerMoveBps")()),
    cooldown: BigInt(await o.getFunction("breakerCooldown")()),
  };
}

/** The oracle's volatility margin rule (immutable in PriceOracle). */
export async function marginRule(provider: Provider, oracle: string): Promise<MarginRule> {
  const o = new Contract(oracle, oracleIface, provider);
  const read = async (f: string) => BigInt(await o.getFunction(f)());
  return {
    span: await read("volSpan"),
    refBps: await read("volRefBps"),
    floorBps: await read("marginFloorBps"),
    ceilBps: await read("marginCeilBps"),
    grace: await read("marginGrace"),
  };
}

/** The margin multipliers the oracle recorded for a round, packed (roundMarginsWord). */
export async function roundMarginsWord(
  provider: Provider,
  oracle: string,
  roundId: bigint,
): Promise<bigint> {
  return BigInt(
    await new Contract(oracle, oracleIface, provider).getFunction("roundMarginsWord")(roundId),
  );
}

/** A round's margin multipliers, unpacked (1x for round 0: no round was posted). */
export async function roundMarginsOf(
  provider: Provider,
  oracle: string,
  roundId: bigint,
  markets: number,
): Promise<RoundMargins> {
  if (roundId === 0n) return oneX(markets);
  return unpackMarginsWord(await roundMarginsWord(provider, oracle, roundId), markets);
}

export async function oracleRound(
  provider: Provider,
  oracle: string,
  roundId: bigint,
): Promise<{ prices: bigint[]; timestamp: bigint }> {
  const o = new Contract(oracle, oracleIface, provider);
  return {
    prices: [...((await o.getFunction("roundPrices")(roundId)) as bigint[])],
    timestamp: (await o.getFunction("roundTimestamp")(roundId)) as bigint,
  };
}

/**
 * The marks exits are proven at after a freeze recorded `roundId`: that round's prices, or
 * zeros for round 0 (a freeze before the oracle's first round: Settlement._frozenBinding(0)
 * binds zero marks, and the oracle has no round 0 to ask).
 */
export async function frozenMarks(
  provider: Provider,
  oracle: string,
  roundId: bigint,
  markets: number,
): Promise<bigint[]> {
  if (roundId === 0n) return Array.from({ length: markets }, () => 0n);
  return (await oracleRound(provider, oracle, roundId)).prices;
}

/** The reduce-only markets the oracle recorded for a round (its circuit breakers). */
export async function roundReduceOnly(
  provider: Provider,
  oracle: string,
  roundId: bigint,
): Promise<bigint> {
  const o = new Contract(oracle, oracleIface, provider);
  return BigInt(await o.getFunction("roundReduceOnly")(roundId));
}

const fundingIface = new Interface([
  "function indicesOf(uint64 roundId) view returns (int64[])",
  "function maxRatePpm() view returns (uint32)",
]);

/** The Funding contract's cap on |rate| per tick, parts per million (immutable there). */
export async function fundingCapPpm(provider: Provider, funding: string): Promise<bigint> {
  const f = new Contract(funding, fundingIface, provider);
  return BigInt((await f.getFunction("maxRatePpm")()) as bigint);
}

/** The funding indices the Funding contract records for round `roundId`. */
export async function fundingIndicesAt(
  provider: Provider,
  funding: string,
  roundId: bigint,
): Promise<bigint[]> {
  const f = new Contract(funding, fundingIface, provider);
  return ((await f.getFunction("indicesOf")(roundId)) as bigint[]).map(BigInt);
}

/** When Settlement learnt of round `roundId` (roundPostedAt; undefined if it cannot say). */
export async function roundPostedAt(
  provider: Provider,
  settlement: string,
  roundId: bigint,
): Promise<bigint | undefined> {
  const s = new Contract(settlement, settlementIface, provider);
  const t = (await s
    .getFunction("roundPostedAt")(roundId)
    .catch(() => 0n)) as bigint;
  return t === 0n ? undefined : t;
}

/**
 * The oracle's latest round at the end of block `blockTag` (null: none yet, or no oracle
 * there then): where an audit that starts after the oracle's first rounds begins.
 */
export async function oracleLatestRound(
  provider: Provider,
  oracle: string,
  blockTag: number,
): Promise<{ id: bigint; timestamp: bigint } | null> {
  if (blockTag < 0 || (await provider.getCode(oracle, blockTag)) === "0x") return null;
  const [id, timestamp] = (await new Contract(oracle, oracleIface, provider).getFunction(
    "latestRound",
  )({ blockTag })) as [bigint, bigint];
  return id === 0n ? null : { id, timestamp };
}

export async function tokenBalance(
  provider: Provider,
  token: string,
  holder: string,
  blockTag: number,
): Promise<bigint> {
  return (await new Contract(token, tokenIface, provider).getFunction("balanceOf")(holder, {
    blockTag,
  })) as bigint;
}

/** Vault.ownerRotation's position of a key recorded without a queue entry (queue closed). */
const NO_POSITION = 2n ** 64n - 1n;

/**
 * The owner keys the governance recorded behind a closed deposit queue (Vault.ownerRotation
 * with no queue position, at `blockTag`): no batch credits them, they make a freeze due and
 * sign the account's exit after it. The deposit queue's events do not show them.
 */
export async function strandedRotationsAt(
  provider: Provider,
  vault: string,
  blockTag: number,
): Promise<{ account: bigint; key: { x: bigint; y: bigint }; time: bigint }[]> {
  const v = new Contract(vault, vaultIface, provider);
  const out = [];
  for (const account of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
    const [x, y, , time, position] = (await v.getFunction("ownerRotation")(account, {
      blockTag,
    })) as bigint[];
    if (time !== 0n && position === NO_POSITION) out.push({ account, key: { x, y }, time });
  }
  return out;
}

/**
 * The exit pool and its use (Settlement.exitInfo, at `blockTag`); undefined where
 * Settlement has no exits (a deployment before them).
 */
export async function exitInfoAt(
  provider: Provider,
  settlement: string,
  blockTag: number,
): Promise<{ pool: bigint; claimed: bigint; paidOut: bigint; windowEnd: bigint } | undefined> {
  const s = new Contract(settlement, settlementIface, provider);
  try {
    const [pool, claimed, paidOut, windowEnd] = (await s.getFunction("exitInfo")({
      blockTag,
    })) as bigint[];
    return { pool, claimed, paidOut, windowEnd };
  } catch {
    return undefined;
  }
}

/**
 * The number of the chain's latest block, asked raw where the provider allows: ethers
 * answers "latest" (getBlock and getBlockNumber alike) from a cache of a few hundred
 * milliseconds, which misses a block mined just before.
 */
export async function latestBlockNumber(provider: Provider): Promise<number | undefined> {
  const raw = provider as Partial<JsonRpcApiProvider>;
  if (raw.send) {
    const b = (await raw.send("eth_getBlockByNumber", ["latest", false])) as {
      number: string;
    } | null;
    return b ? Number(BigInt(b.number)) : undefined;
  }
  return (await provider.getBlock("latest"))?.number;
}
