import type { ObservedRound } from "./anomalies.ts";
import type { ForcedRequest } from "./forced.ts";
import type { Groth16Proof } from "snarkjs";
import type { BatchData } from "./batch.ts";
import type { CircuitId } from "./circuits.ts";
import type { SignalValue } from "./inputs.ts";
import type { Deposit } from "./transfers.ts";
import type { RoundMargins } from "./volatility.ts";

/**
 * Which Groth16 prover makes a proof: zkclear's native prover (`native`: the C++ addon in
 * native/, the default wherever it loads), zkclear's WebAssembly prover (`zkclear`,
 * on ffjavascript) or snarkjs's own `groth16.prove` (`snarkjs`, the baseline the benchmark
 * measures them against). All three make proofs of the same keys in the same format,
 * accepted by the same verifiers.
 */
export const PROVE_ENGINES = ["native", "zkclear", "snarkjs"] as const;
export type ProveEngine = (typeof PROVE_ENGINES)[number];

/**
 * Where a Groth16 proof's time went, in milliseconds (the native prover's own stage clock,
 * or read off snarkjs's progress messages for the WebAssembly provers):
 * - read: the witness, the zkey's header, coefficients and point sections;
 * - buildAbc: evaluating A, B and C of the QAP at the witness;
 * - fft: the inverse and forward FFTs over the domain, and joining A*B - C;
 * - msmG1: the G1 multi-scalar multiplications (A, B1, C over the wires, H over the domain);
 * - msmG2: the G2 multi-scalar multiplication (B2 over the wires);
 * - other: the rest (the final point additions, serialisation).
 */
export interface ProvePhases {
  readonly read: number;
  readonly buildAbc: number;
  readonly fft: number;
  readonly msmG1: number;
  readonly msmG2: number;
  readonly other: number;
}

/** A proof (snarkjs's JSON format), its public signals and what it cost. */
export interface ProofResult {
  /** The prover that made the proof. */
  readonly engine: ProveEngine;
  readonly proof: Groth16Proof;
  readonly publicSignals: string[];
  readonly witnessMs: number;
  readonly proveMs: number;
  /**
   * With `warm`: the first witness of this batch in this process (loading the witness
   * calculator and running its code cold); `witnessMs` is then a second, warm one, as a
   * long-lived proving process computes every witness after its first.
   */
  readonly witnessColdMs?: number;
  /**
   * With `warm`, when the witness came from the circuit's native calculator: the
   * WebAssembly calculator's witness of the same inputs, warm (its second in the process).
   */
  readonly witnessWasmMs?: number;
  /** With `profile`: the proving time by step. */
  readonly phases?: ProvePhases;
  /** From a proving process (WorkerProver): its peak resident memory so far, MiB. */
  readonly peakRssMiB?: number;
}

/** Proves a circuit input: the proving process of the service, or proving in this process. */
export interface ProverPort {
  prove(circuit: CircuitId, signals: Record<string, SignalValue>): Promise<ProofResult>;
}

/**
 * A batch's proving job: the circuit input of one batch, proved by any prover of a pool.
 * `attempt` numbers the jobs of one batch (a refused proof makes the next attempt); a job is
 * identified by (batch, newRoot, attempt), so handing it over again is harmless.
 */
export interface ProofJob {
  readonly batch: number;
  readonly kind: BatchData["kind"];
  readonly circuit: CircuitId;
  readonly newRoot: bigint;
  readonly attempt: number;
  readonly signals: Record<string, SignalValue>;
}

/** When a job moved through the pool (ms since the epoch), for the queue's overhead. */
export interface JobTimes {
  readonly enqueuedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** What became of a proving job: still queued or proving, proved (by `worker`), or failed. */
export type ProofOutcome =
  | { readonly status: "pending" }
  | {
      readonly status: "proved";
      readonly result: ProofResult;
      readonly worker: string;
      readonly times: JobTimes;
    }
  | {
      readonly status: "failed";
      readonly code: string;
      readonly message: string;
      readonly worker?: string;
    };

/**
 * Provers that prove many batches at once (local proving processes, or workers on a job
 * queue): jobs go in in batch order, proofs come back in any order. Nothing a pool returns
 * is trusted: the operator verifies every proof against the batch's own public inputs.
 */
export interface ProvingPool {
  /** Hands a job to the provers; a job already handed over (same id) is left as it is. */
  enqueue(job: ProofJob): Promise<void>;
  /** The job's outcome so far. */
  outcome(job: ProofJob): Promise<ProofOutcome>;
  close(): Promise<void>;
}

/** Checks a proof of `circuit` against public inputs the operator computed itself. */
/**
 * The operator's own check of a circuit input: computes its witness and throws the
 * circuit's refusal (WITNESS_CONSTRAINT_FAILED) if it breaks a constraint. A pool's word
 * that a batch is refused is never taken: this decides.
 */
export type InputCheck = (
  circuit: CircuitId,
  signals: Record<string, SignalValue>,
) => Promise<void>;

export type ProofVerifier = (
  circuit: CircuitId,
  publicSignals: readonly bigint[],
  proof: Groth16Proof,
) => Promise<boolean>;

/**
 * An oracle round: its id, one price per market, and the funding indices the Funding
 * contract records for it (what a batch proven at this round settles funding to).
 */
export interface Round {
  readonly roundId: bigint;
  readonly prices: readonly bigint[];
  readonly fundingIndices: readonly bigint[];
  /**
   * The round's reduce-only markets (bit j: market j's circuit breaker is on;
   * PriceOracle.roundReduceOnly, domain/breakers.ts). Absent in a round stored before
   * breakers existed: none.
   */
  readonly reduceOnly?: bigint;
  /**
   * The round's margin multipliers per market (PriceOracle.roundMarginsWord,
   * domain/volatility.ts): the margin rates batches at this round are checked and proven at.
   */
  readonly margins: RoundMargins;
}

/** A batch's transaction, signed but perhaps not yet sent: stored before it is sent. */
export interface SignedTx {
  readonly hash: string;
  readonly nonce: number;
  /** The signed transaction, to send again if the node lost it. */
  readonly raw: string;
}

/**
 * What became of a sent transaction. dead: its nonce was used by another; it never lands.
 * pending: not mined within the client's wait; ask again later.
 */
export type SentBatch =
  | { readonly status: "mined" | "reverted"; readonly txHash: string; readonly gasUsed: bigint }
  | { readonly status: "dead" | "pending" };

/** A forced request as Settlement queued it, with its position, requester and time. */
export interface ForcedEntry {
  readonly index: number;
  readonly request: ForcedRequest;
  readonly requester: string;
  /** The block time of its ForcedRequested event (seconds): its deadline runs from here. */
  readonly requestedAt: number;
}

/** Vault.ownerRotation of an owned account the governance rotated. */
export interface OwnerRotationView {
  readonly account: bigint;
  /** When it was recorded (chain seconds). */
  readonly time: number;
  /**
   * Its deposit queue position, or null when it was recorded behind a closed queue
   * (stranded: OwnerKeyStranded, no batch can credit it).
   */
  readonly position: number | null;
}

/** The escape hatch as Settlement stands (EscapeHatch.sol). */
export interface EscapeView {
  /** Seconds the operator has to answer a forced request. */
  readonly forcedDeadline: number;
  /** The latest block's time (seconds): forced deadlines are judged in chain time. */
  readonly chainTime: number;
  /** The freeze, once it happened (final). */
  readonly frozen: {
    readonly at: number;
    readonly root: bigint;
    readonly batches: number;
    readonly roundId: bigint;
  } | null;
}

/** What the operator needs from the chain; the real one is prover/src/chain/client.ts. */
export interface ChainPort {
  /** The oracle's latest round, if any. */
  latestRound(): Promise<Round | undefined>;
  /**
   * Oracle round `roundId`'s prices and its signers' reports, for the anomaly watch
   * (undefined: no such round; absent in test doubles, which are not watched).
   */
  oracleRound?(roundId: bigint): Promise<ObservedRound | undefined>;
  /** Vault deposits with queue index >= `from`, in order. */
  depositsFrom(from: number): Promise<Deposit[]>;
  /**
   * Settlement's forced withdrawal requests with queue index >= `from`, in order (absent in
   * test doubles that never see one).
   */
  forcedFrom?(from: number): Promise<ForcedEntry[]>;
  /** The forced deadline, the chain's time and the freeze (absent in test doubles). */
  escape?(): Promise<EscapeView>;
  /**
   * The Vault's latest governed owner key rotation of each owned account (ownerRotation of
   * accounts 1 and 2; only those ever rotated), absent in test doubles that never rotate.
   */
  ownerRotations?(): Promise<OwnerRotationView[]>;
  /** The Settlement contract's current root. */
  stateRoot(): Promise<bigint>;
  /**
   * Signs a proven batch's transaction (its kind's submit function) without sending it;
   * refuses (SubmitError BATCH_REFUSED) a batch the contract would refuse.
   */
  prepare(batch: BatchData, proof: Groth16Proof): Promise<SignedTx>;
  /** Whether Settlement would take the batch now; throws the classified refusal if not. */
  check(batch: BatchData, proof: Groth16Proof): Promise<void>;
  /** Sends a signed transaction (again, if lost) and waits for what becomes of it. */
  send(tx: SignedTx): Promise<SentBatch>;
  /** prepare, then send: a proven batch settled, or a SubmitError. */
  submit(batch: BatchData, proof: Groth16Proof): Promise<{ txHash: string; gasUsed: bigint }>;
}

/** A proven batch the data committee is asked to attest, as batch `batch` of Settlement. */
export interface AttestationRequest {
  readonly batch: number;
  readonly data: BatchData;
  readonly proof: Groth16Proof;
}

/**
 * Gathers the data committee's signatures of a batch (domain/committee.ts): the replicas
 * over HTTP in the service (service/committee.ts), development keys in dev rigs. Answers
 * Settlement's `attestations` argument (packed), or throws a CommitteeError saying which
 * members refused and why.
 */
export interface AttestorPort {
  attest(r: AttestationRequest): Promise<string>;
}

/** A funding tick as the chain recorded it (Funding's FundingTicked event; tick 0 has none). */
export interface FundingTickView {
  readonly tick: number;
  /** The first oracle round whose batches settle funding to these indices. */
  readonly fromRound: bigint;
  /** The oracle round whose prices the rates were applied to (fromRound - 1). */
  readonly priceRound: bigint;
  /** One per market, ppm of the price per interval. */
  readonly ratesPpm: readonly bigint[];
  /** One per market, 2^-20 quote units per lot (domain/funding.ts). */
  readonly indices: readonly bigint[];
  readonly txHash: string;
}

/** The Funding contract as the operator reads it before each possible tick. */
export interface FundingStatus {
  /** Seconds per funding period, and the cap on |rate| (ppm), as the contract holds them. */
  readonly interval: bigint;
  readonly maxRatePpm: bigint;
  /** When (unix seconds, chain time) the next tick may come. */
  readonly nextTickTime: bigint;
  /** The latest block's time. */
  readonly chainTime: bigint;
  /** The tick in effect for new rounds: its number, from which round, its indices. */
  readonly current: {
    readonly tick: number;
    readonly fromRound: bigint;
    readonly indices: readonly bigint[];
  };
  /** Every FundingTicked event so far, in tick order. */
  readonly ticks: readonly FundingTickView[];
}

/**
 * What the operator needs of the Funding contract (the real one: chain/funding-port.ts):
 * its state, the funding window of the rate rule (domain/funding-rate.ts) and the tick.
 */
export interface FundingPort {
  status(): Promise<FundingStatus>;
  /**
   * The new roots of the trade batches settled on-chain after the last FundingTicked event
   * (from the deployment if there is none), in chain order: the window of the next tick.
   */
  tradeRootsSinceTick(): Promise<bigint[]>;
  /** Ticks at `ratesPpm`; a refusal is a ZkClearError with the rule's code. */
  tick(ratesPpm: readonly bigint[]): Promise<FundingTickView>;
}
