import fs from "node:fs";
import path from "node:path";
import { Contract, Wallet, type JsonRpcApiProvider, type Signer } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { defaultMarkets, type MarketParams } from "../domain/market.ts";
import { devKeyPair, type KeyPair } from "../domain/keys.ts";
import { depositOfEntry, type Deposit, type SignedWithdrawal } from "../domain/transfers.ts";
import type {
  BatchData,
  BatchDataOf,
  BatchKind,
  BatchRequestOf,
  LiquidationTakerRequest,
  Trade,
} from "../domain/batch.ts";
import type { CircuitId } from "../domain/circuits.ts";
import type { ProofResult, ProverPort } from "../domain/ports.ts";
import { ExchangeState } from "../engine/state.ts";
import { applyBatch } from "../engine/kinds.ts";
import { batchFileName, toBatchFile } from "../engine/batch-file.ts";
import { ensureDevKeySet, type KeySet } from "../proving/key-sets.ts";
import { LocalProver } from "../proving/local-prover.ts";
import {
  DEPLOY_DEFAULTS,
  defaultMaxReportAge,
  devCommittee,
  type DeployOptions,
  type DeployedContracts,
} from "../chain/deploy.ts";
import { deployZkclear } from "../deploy/deploy.ts";
import type { Deployment } from "../domain/deployment.ts";
import { ChainClient } from "../chain/client.ts";
import { signReport, submitRoundArgs } from "../chain/oracle-reports.ts";
import { proveBatch as pipelineProve, submitProven } from "../service/pipeline.ts";
import { devWallet } from "../service/serve.ts";
import { signExit } from "../domain/exit.ts";
import { exitInput } from "../engine/exit.ts";
import { CIRCUITS } from "../domain/circuits.ts";
import type { ExitAccountInput } from "../domain/inputs.ts";
import { exitCallArgs } from "../chain/exit.ts";
import { devCommitteeWallets, signAttestation } from "../chain/committee.ts";
import { attestationOf, packAttestations } from "../domain/committee.ts";
import { KeyAttestor } from "../service/committee.ts";
import { zeroIndices } from "../domain/funding.ts";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { devOwnerKeys } from "../domain/owners.ts";
import { signCompartmentMove, type SignedCompartmentMove } from "../domain/compartment-moves.ts";
import { oneX, type MarginRuleNumbers, type RoundMargins } from "../domain/volatility.ts";

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
  /** The deployment's domain: what every signed message names. */
  readonly domain: bigint;
  /** The deployed contracts, connected to the deployer. */
  readonly d: DeployedContracts;
  /** The deployment as its file records it. */
  readonly deployment: Deployment;
  readonly state: ExchangeState;
  readonly oracleWallets: readonly Wallet[];
  readonly participants: Participant[];
  /** Deposits seen on-chain and not yet credited by a proven batch. */
  readonly pending: Deposit[];
  /** Queue hash of the last credited deposit. */
  queueHash: bigint;
  round: bigint;
  /** The timestamp of the last round posted (round timestamps must increase). */
  roundTime: bigint;
  marks: bigint[];
  /** The funding indices the Funding contract records for the latest round. */
  fundingIndices: bigint[];
  /** The latest round's reduce-only markets (PriceOracle.roundReduceOnly). */
  reduceOnly: bigint;
  /** The latest round's margin multipliers (PriceOracle.roundMargins). */
  margins: RoundMargins;
  /** The key set batches are proven with (the set's development keys). */
  readonly keys: KeySet;
  /**
   * Proves a batch; default: in this process with the key set. The benchmarks prove in a
   * fresh proving process per batch, to measure its memory.
   */
  prover: ProverPort;
  /** Submits batches as the operator's chain client does (the deployer's key). */
  readonly chain: ChainClient;
}

/** A batch the engine applied and the prover proved. */
export interface ProvenBatch<K extends BatchKind = BatchKind> {
  readonly data: BatchDataOf<K>;
  readonly proof: ProofResult;
}

/** A proven batch the chain accepted, and the gas it cost. */
export interface BatchReceipt<K extends BatchKind = BatchKind> extends ProvenBatch<K> {
  readonly gasUsed: bigint;
}

/**
 * The development committee's keys signing in this process (INSECURE, checks nothing): for
 * rigs that test something else. The committee itself is tested with real replicas.
 */
export function devAttestor(d: Pick<DeployedContracts, "chainId" | "addresses">): KeyAttestor {
  return new KeyAttestor(devCommitteeWallets(DEPLOY_DEFAULTS.devCommitteeMembers), {
    chainId: d.chainId,
    settlement: d.addresses.settlement,
  });
}

/** Settlement's `attestations` argument for `data` as its next batch (development committee). */
export function devAttestations(
  d: { chainId: bigint; addresses: { settlement: string }; settlement: Contract },
  data: BatchData,
): Promise<string> {
  const a = attestationOf(0, data);
  return devAttestationsFor(d, a.kind, a.oldRoot, a.newRoot, a.dataCommitment, a.roundId);
}

/**
 * The development committee's signatures of whatever a test submits as the next batch
 * (forged roots or commitments included: Settlement then judges the proof, not the
 * committee).
 */
export async function devAttestationsFor(
  d: { chainId: bigint; addresses: { settlement: string }; settlement: Contract },
  kind: BatchKind,
  oldRoot: bigint,
  newRoot: bigint,
  dataCommitment: bigint,
  roundId: bigint,
  signers: readonly Wallet[] = devCommitteeWallets(DEPLOY_DEFAULTS.devCommitteeMembers),
): Promise<string> {
  const batch = Number(await d.settlement.getFunction("batchCount")());
  const a = { batch, kind, oldRoot, newRoot, dataCommitment, roundId };
  return packAttestations(
    await Promise.all(signers.map((w) => signAttestation(w, d.chainId, d.addresses.settlement, a))),
  );
}

/** The timelock delay of a test world (seconds): tests wait it out with evm_increaseTime. */
export const WORLD_TIMELOCK_DELAY = 600;

export async function setupWorld(
  p: ParamSet,
  deployer: Signer,
  traders: readonly Signer[],
  opts: {
    oracleSigners?: number;
    quorum?: number;
    /** The oracle's maximum report age; default: a fifth of maxPriceAge. */
    maxReportAge?: number;
    /**
     * The oracle's circuit breaker bound (bps; default DEPLOY_DEFAULTS): a world whose price
     * moves are not about breakers sets 10,000 (a market moves up to 100 % per round).
     */
    breakerMoveBps?: number;
    /** The oracle's volatility margin rule (default DEPLOY_DEFAULTS). */
    marginRule?: MarginRuleNumbers;
    fund?: bigint;
    /** Test-only deployment changes (another token, verifier overrides). */
    deploy?: Partial<Omit<DeployOptions, "params" | "markets" | "verifiers">>;
    /** The key set to deploy and prove with; default: the set's development keys. */
    keys?: KeySet;
  } = {},
): Promise<World> {
  const markets = defaultMarkets(p.markets);
  const oracleWallets = Array.from(
    { length: opts.oracleSigners ?? 3 },
    (_, i) => new Wallet(`0x${(0x1000 + i).toString(16).padStart(64, "0")}`),
  );
  const keys = opts.keys ?? (await ensureDevKeySet(p));
  const { deployment, contracts: d } = await deployZkclear(deployer, {
    params: p,
    markets,
    keys,
    oracle: {
      signers: oracleWallets.map((w) => w.address),
      quorum: opts.quorum ?? DEPLOY_DEFAULTS.devOracleQuorum,
      maxReportAge:
        opts.maxReportAge ??
        defaultMaxReportAge(opts.deploy?.maxPriceAge ?? DEPLOY_DEFAULTS.maxPriceAge),
      bounds: markets.map(() => [1n, (1n << 64n) - 1n] as const),
      breakerMoveBps: opts.breakerMoveBps,
      marginRule: opts.marginRule,
    },
    // the development committee (its keys sign in this process: World.chain's attestor)
    committee: devCommittee(),
    // a test world: any deposit above zero, and a short timelock delay to wait out
    minDeposit: 1n,
    timelockDelay: WORLD_TIMELOCK_DELAY,
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
    deployment,
    keys,
    prover: new LocalProver(p, keys),
    // the operator's key: Hardhat's first development account, the deployer of the tests
    chain: new ChainClient(d.addresses, devWallet(0).connect(deployer.provider), {
      pollMs: 100,
      attestor: devAttestor(d),
    }),
    domain: deployment.domain,
    state: ExchangeState.genesis(
      p.depth,
      markets,
      deployment.domain,
      deployment.owners,
      deployment.fundFloor,
    ),
    oracleWallets,
    participants,
    pending: [],
    queueHash: 0n,
    round: 0n,
    roundTime: 0n,
    marks: [],
    fundingIndices: zeroIndices(p.markets),
    reduceOnly: 0n,
    margins: oneX(p.markets),
  };
}

/**
 * A participant deposits; a first deposit creates its account. The engine is given what the
 * Vault recorded (the amount that arrived), as the operator reads it from the event.
 * Returns the gas used.
 */
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
  w.pending.push(depositOfEntry(ev.args));
  who.account = account;
  return BigInt(receipt.gasUsed);
}

/**
 * A participant opens a sub-account for its key isolated to `market`
 * (Vault.depositIsolated), funded with `amount`; returns the new account's index (the
 * participant's own account is unchanged).
 */
export async function depositIsolated(
  w: World,
  who: Participant,
  amount: bigint,
  market: number,
): Promise<bigint> {
  const vault = w.d.vault.connect(who.signer) as Contract;
  const k = who.keys.publicKey;
  const receipt = await (
    await vault.getFunction("depositIsolated")(k.x, k.y, amount, market)
  ).wait();
  const ev = receipt.logs
    .map((l: { topics: string[]; data: string }) => w.d.vault.interface.parseLog(l))
    .find((e: { name: string } | null) => e?.name === "Deposited");
  w.pending.push(depositOfEntry(ev.args));
  return BigInt(ev.args.account);
}

/**
 * Posts an oracle round signed by the oracle wallets and binds it. Its reports carry the
 * latest block's timestamp, or one second after the previous round's if that is later
 * (ethers may answer "latest" from a 250 ms cache, and round timestamps must increase;
 * the block that takes the round is later than both).
 */
export async function postRound(
  w: World,
  prices: readonly bigint[],
): Promise<{ roundGas: bigint; bindGas: bigint }> {
  const provider = w.d.oracle.runner?.provider as JsonRpcApiProvider;
  // asked raw: ethers answers "latest" from a 250 ms cache, which lags evm_increaseTime by
  // more than the oracle's report age
  const block = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
    timestamp: string;
  };
  const chainId = (await provider.getNetwork()).chainId;
  const roundId = w.round + 1n;
  const oracleAddr = await w.d.oracle.getAddress();
  const latest = BigInt(block.timestamp);
  const timestamp = latest > w.roundTime ? latest : w.roundTime + 1n;
  const signed = [];
  for (const wallet of w.oracleWallets) {
    signed.push(await signReport(wallet, oracleAddr, chainId, { roundId, timestamp, prices }));
  }
  const r1 = await (
    await w.d.oracle.getFunction("submitRound")(...submitRoundArgs(roundId, signed))
  ).wait();
  const r2 = await (await w.d.settlement.getFunction("bindRound")(roundId)).wait();
  w.round = roundId;
  w.roundTime = timestamp;
  w.marks = [...prices];
  w.fundingIndices = await w.chain.fundingIndices(roundId);
  w.reduceOnly = BigInt(await w.d.oracle.getFunction("roundReduceOnly")(roundId));
  w.margins = await w.chain.roundMargins(roundId, prices.length);
  return { roundGas: BigInt(r1.gasUsed), bindGas: BigInt(r2.gasUsed) };
}

/**
 * Cuts a batch in the engine and proves it: the operator pipeline's steps
 * (service/batcher.ts applies with the same engine entry, service/pipeline.ts proves).
 */
export async function proveBatch<K extends BatchKind>(
  w: World,
  req: BatchRequestOf<K>,
  prover: ProverPort = w.prover,
): Promise<ProvenBatch<K>> {
  const applied = applyBatch(w.state, req, w.p);
  const data = applied.data as BatchDataOf<K>;
  const proof = await pipelineProve(prover, data, applied.signals);
  return { data, proof };
}

/** Cuts, proves and submits a batch as the operator does; returns the gas it cost. */
export async function settleBatch<K extends BatchKind>(
  w: World,
  req: BatchRequestOf<K>,
): Promise<BatchReceipt<K>> {
  const { data, proof } = await proveBatch(w, req);
  const r = await submitProven(w.chain, data, proof);
  return { gasUsed: r.gasUsed, proof, data };
}

/** The pending deposits (at most K) as a batch request. */
function depositRequest(w: World): BatchRequestOf<"deposits"> {
  return { kind: "deposits", deposits: w.pending.splice(0, w.p.deposits), queueFrom: w.queueHash };
}

/** Applies the pending deposits (at most K) in the engine and proves them. */
export async function proveDeposits(w: World): Promise<ProvenBatch<"deposits">> {
  const b = await proveBatch<"deposits">(w, depositRequest(w));
  w.queueHash = b.data.queueTo;
  return b;
}

/** Proves and submits the pending deposits (at most K). */
export async function settleDeposits(w: World): Promise<BatchReceipt<"deposits">> {
  const b = await settleBatch<"deposits">(w, depositRequest(w));
  w.queueHash = b.data.queueTo;
  return b;
}

/** A prover with another proving key for one circuit (tests of foreign keys). */
export function proverWithKey(w: World, circuit: CircuitId, zkey: string): ProverPort {
  return new LocalProver(w.p, {
    ...w.keys,
    circuits: { ...w.keys.circuits, [circuit]: { zkey, vkey: "" } },
  });
}

/**
 * Applies a trade batch in the engine at `marks` (default: the current round's) and
 * proves it, with the world's prover unless another is given.
 */
export function proveTrades(
  w: World,
  trades: readonly Trade[],
  marks: readonly bigint[] = w.marks,
  prover?: ProverPort,
): Promise<ProvenBatch<"trades">> {
  return proveBatch<"trades">(
    w,
    {
      kind: "trades",
      trades,
      marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
      reduceOnly: w.reduceOnly,
    },
    prover,
  );
}

/** Proves and submits a trade batch at the current round's prices. */
export function settleTradeBatch(
  w: World,
  trades: readonly Trade[],
): Promise<BatchReceipt<"trades">> {
  return settleBatch<"trades">(w, {
    kind: "trades",
    trades,
    marks: w.marks,
    round: w.round,
    fundingIndices: w.fundingIndices,
    margins: w.margins,
    reduceOnly: w.reduceOnly,
  });
}

/** Applies signed withdrawals in the engine and proves them. */
export function proveWithdrawals(
  w: World,
  withdrawals: readonly SignedWithdrawal[],
): Promise<ProvenBatch<"withdrawals">> {
  return proveBatch<"withdrawals">(w, {
    kind: "withdrawals",
    withdrawals,
    marks: w.marks,
    round: w.round,
    fundingIndices: w.fundingIndices,
    margins: w.margins,
  });
}

/** Proves and submits signed withdrawals at the current round's prices. */
export function settleWithdrawals(
  w: World,
  withdrawals: readonly SignedWithdrawal[],
): Promise<BatchReceipt<"withdrawals">> {
  return settleBatch<"withdrawals">(w, {
    kind: "withdrawals",
    withdrawals,
    marks: w.marks,
    round: w.round,
    fundingIndices: w.fundingIndices,
    margins: w.margins,
  });
}

/**
 * Liquidates accounts below maintenance at the current round's prices: engine, proof.
 * `takers` (aligned with `accounts`): the liquidators taking their positions.
 */
export function proveLiquidations(
  w: World,
  accounts: readonly bigint[],
  takers?: readonly (LiquidationTakerRequest | null)[],
  move?: SignedCompartmentMove,
): Promise<ProvenBatch<"liquidations">> {
  return proveBatch<"liquidations">(w, {
    kind: "liquidations",
    accounts,
    ...(takers ? { takers } : {}),
    ...(move ? { compartmentMove: move } : {}),
    marks: w.marks,
    round: w.round,
    fundingIndices: w.fundingIndices,
    margins: w.margins,
  });
}

/**
 * The development fund owner's signed move of `amount` from the insurance fund's reserve
 * into market `market`'s compartment, at the fund's next withdrawal nonce: a liquidation
 * batch carries it (proveLiquidations, settleLiquidations), before its liquidations.
 */
export function fundMove(w: World, market: number, amount: bigint): SignedCompartmentMove {
  return signCompartmentMove(
    {
      market,
      nonce: w.state.getAccount(INSURANCE_ACCOUNT).withdrawNonce,
      amount,
      toReserve: false,
    },
    w.state.marketCount,
    devOwnerKeys().fund.privateKey,
    w.state.domain,
  );
}

/** Proves and submits a liquidation batch at the current round's prices. */
export function settleLiquidations(
  w: World,
  accounts: readonly bigint[],
  takers?: readonly (LiquidationTakerRequest | null)[],
  move?: SignedCompartmentMove,
): Promise<BatchReceipt<"liquidations">> {
  return settleBatch<"liquidations">(w, {
    kind: "liquidations",
    accounts,
    ...(takers ? { takers } : {}),
    ...(move ? { compartmentMove: move } : {}),
    marks: w.marks,
    round: w.round,
    fundingIndices: w.fundingIndices,
    margins: w.margins,
  });
}

/** Writes a settled batch's file (zkclear-batch/1) as the operator publishes it. */
export function writeBatchFile(w: World, dir: string, batch: number, data: BatchData): void {
  const meta = {
    chainId: w.d.chainId,
    settlement: w.d.addresses.settlement,
    batch,
  };
  fs.writeFileSync(path.join(dir, batchFileName(batch)), JSON.stringify(toBatchFile(data, meta)));
}

/**
 * Proves `account`'s exit from the world's state (the tree at the frozen root) at `marks`
 * (default: the latest round's, the one a freeze records), paying `recipient`; `key` (the
 * account's leaf key: a trader's, or the fee or fund owner's, devOwnerKeys in a test world)
 * signs the recipient. `pending`: `key` is a system account's pending governed owner key, not
 * its leaf's (the exit names signer = Poseidon(key)). Returns Settlement.exit's arguments.
 */
export async function proveExit(
  w: World,
  account: bigint,
  recipient: string,
  key: KeyPair,
  marks: readonly bigint[] = w.marks,
  fundingIndices: readonly bigint[] = w.fundingIndices,
  pending = false,
  margins: RoundMargins = w.margins,
): Promise<{ input: ExitAccountInput; args: ReturnType<typeof exitCallArgs>; proveMs: number }> {
  const to = BigInt(recipient);
  const sig = signExit(account, to, key.privateKey, w.domain);
  const input = exitInput(
    w.state,
    account,
    to,
    sig,
    marks,
    fundingIndices,
    margins,
    pending ? key.publicKey : null,
  );
  const r = await w.prover.prove("exit_account", CIRCUITS.exit_account.toSignals(input));
  return { input, args: exitCallArgs(input, r.proof), proveMs: r.proveMs };
}
