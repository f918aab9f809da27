import {
  Contract,
  getAddress,
  Interface,
  keccak256,
  type HDNodeWallet,
  type JsonRpcApiProvider,
  type Provider,
  type Wallet,
} from "ethers";
import type { Groth16Proof } from "snarkjs";
import type { ObservedRound } from "../domain/anomalies.ts";
import type { BatchData } from "../domain/batch.ts";
import { BATCH_KINDS } from "../domain/batch-kinds.ts";
import { attestationOf } from "../domain/committee.ts";
import { toJson } from "../domain/json.ts";
import type { DeploymentAddresses } from "../domain/deployment.ts";
import type {
  AttestorPort,
  ChainPort,
  EscapeView,
  ForcedEntry,
  OwnerRotationView,
  Round,
  SentBatch,
  SignedTx,
} from "../domain/ports.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { depositOfEntry, type Deposit } from "../domain/transfers.ts";
import { unpackMarginsWord, type RoundMargins } from "../domain/volatility.ts";
import { loadArtifact } from "./artifacts.ts";
import { callArgs, SubmitError } from "./settlement.ts";

/** Vault.ownerRotation's position of a key recorded behind a closed queue (stranded). */
const NOT_QUEUED = 2n ** 64n - 1n;

/** Errors worth another try: the node did not answer, not "the contract refused". */
export function transient(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return (
    code === "NETWORK_ERROR" ||
    code === "TIMEOUT" ||
    code === "SERVER_ERROR" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "UNKNOWN_ERROR"
  );
}

/** Committee.sol's refusals of a batch's attestations. */
const COMMITTEE_ERRORS = new Set([
  "BadAttestationsLength",
  "InvalidAttestation",
  "NotAMember",
  "DuplicateMember",
  "NotEnoughAttestations",
]);

/** The contract's custom error name in an ethers error, if it has one. */
function revertName(e: unknown): string | undefined {
  return (e as { revert?: { name?: string } }).revert?.name;
}

/**
 * The operator's view of a deployment through ethers v6: oracle rounds, the Vault's
 * deposit queue, the Settlement root, and batch submission. A batch's transaction is
 * signed here with the operator's key before it is sent (`prepare`), so that its hash and
 * nonce can be stored first: after a crash the operator finds its own transaction (sent
 * again if it was lost, never a second one for the same batch). Transient node errors are
 * retried with backoff; a refusal by the contract is not.
 */
export class ChainClient implements ChainPort {
  readonly settlement: Contract;
  readonly vault: Contract;
  readonly oracle: Contract;
  /** The funding indices (Funding.sol): each round's, for the batches proven at it. */
  readonly funding: Contract;
  private readonly provider: Provider;
  private readonly retries: number;
  private readonly pollMs: number;
  private readonly waitMs: number;
  /** The next nonce to use, once learnt from the node. */
  private nonce: number | undefined;
  /** The latest oracle round read, but for its funding indices (latestRound). */
  private lastRound: Omit<Round, "fundingIndices"> | undefined;
  private readonly attestor: AttestorPort | undefined;
  private readonly fromBlock: number;
  private readonly committeeErrors = new Interface(loadArtifact("Committee").abi);
  /** The last attestations gathered, by batch number and data: asked once per batch. */
  private attested: { key: string; packed: string } | undefined;

  /**
   * @param opts.retries tries of a call the node failed to answer (transient errors)
   * @param opts.pollMs how often a sent transaction's receipt is looked for (default 500)
   * @param opts.waitMs how long `send` waits for a receipt before it answers "pending"
   *   (default 120 s); the operator asks again at its next step, sending the transaction
   *   again if the node lost it
   * @param opts.attestor gathers the data committee's signatures of trade, withdrawal and
   *   liquidation batches (without one, Settlement refuses them)
   * @param opts.fromBlock the deployment's block: oracle events are looked for from it (default 0)
   */
  constructor(
    addresses: DeploymentAddresses,
    private readonly signer: Wallet | HDNodeWallet,
    opts: {
      retries?: number;
      pollMs?: number;
      waitMs?: number;
      attestor?: AttestorPort;
      fromBlock?: number;
    } = {},
  ) {
    if (!signer.provider)
      throw new SubmitError("NO_PROVIDER", "the operator's key must be connected to a node");
    this.provider = signer.provider;
    this.settlement = new Contract(addresses.settlement, loadArtifact("Settlement").abi, signer);
    this.vault = new Contract(addresses.vault, loadArtifact("Vault").abi, this.provider);
    this.oracle = new Contract(addresses.oracle, loadArtifact("PriceOracle").abi, this.provider);
    this.funding = new Contract(addresses.funding, loadArtifact("Funding").abi, this.provider);
    this.retries = opts.retries ?? 4;
    this.pollMs = opts.pollMs ?? 500;
    this.waitMs = opts.waitMs ?? 120_000;
    this.attestor = opts.attestor;
    this.fromBlock = opts.fromBlock ?? 0;
  }

  /**
   * The committee's signatures of `b` as Settlement's next batch ("0x" for kinds that need
   * none, or with no attestor). Asked once per batch: a check after a revert reuses them.
   */
  private async attestations(b: BatchData, proof: Groth16Proof): Promise<string> {
    if (!BATCH_KINDS[b.kind].attested || !this.attestor) return "0x";
    const batch = Number(
      await this.retry("batchCount", () => this.settlement.getFunction("batchCount")()),
    );
    // everything the attestation names: a batch cut again at a newer round keeps its roots
    const key = toJson(attestationOf(batch, b));
    if (this.attested?.key === key) return this.attested.packed;
    const packed = await this.attestor.attest({ batch, data: b, proof });
    this.attested = { key, packed };
    return packed;
  }

  private async retry<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        if (attempt >= this.retries || !transient(e)) {
          if (e instanceof Error && !e.message.startsWith(what))
            e.message = `${what}: ${e.message}`;
          throw e;
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  async latestRound(): Promise<Round | undefined> {
    return this.retry("latestRound", async () => {
      const id = BigInt(await this.oracle.getFunction("latestRoundId")());
      if (id === 0n) return undefined;
      // a finalised round's prices, reduce-only mask and multipliers never change: read once
      if (this.lastRound?.roundId !== id) {
        const prices = ((await this.oracle.getFunction("roundPrices")(id)) as bigint[]).map(BigInt);
        this.lastRound = {
          roundId: id,
          prices,
          reduceOnly: BigInt(await this.oracle.getFunction("roundReduceOnly")(id)),
          margins: await this.roundMargins(id, prices.length),
        };
      }
      // the funding indices are read every time: they are the Funding contract's, not the round's
      return { ...this.lastRound, fundingIndices: await this.fundingIndices(id) };
    });
  }

  /** Oracle round `roundId`'s margin multipliers (PriceOracle.roundMarginsWord), unpacked. */
  async roundMargins(roundId: bigint, markets: number): Promise<RoundMargins> {
    return this.retry("roundMargins", async () =>
      unpackMarginsWord(
        BigInt(await this.oracle.getFunction("roundMarginsWord")(roundId)),
        markets,
      ),
    );
  }

  /**
   * Oracle round `roundId`: its prices (the medians PriceOracle stored) and each signer's
   * reported prices. The oracle keeps only the medians; the reports are in the calldata of
   * the transaction that emitted the round's RoundFinalized event, decoded here. When that
   * transaction did not call the oracle's submitRound directly (a contract relayed it: the
   * reports are in an inner call, which a node gives only with tracing) reports is null.
   */
  async oracleRound(roundId: bigint): Promise<ObservedRound | undefined> {
    const prices = await this.retry("oracleRound", async () => {
      const latest = BigInt(await this.oracle.getFunction("latestRoundId")());
      if (roundId < 1n || roundId > latest) return undefined;
      return ((await this.oracle.getFunction("roundPrices")(roundId)) as bigint[]).map(BigInt);
    });
    if (!prices) return undefined;
    // the reports are a bonus: a node that refuses the log query leaves the spread unmeasured
    const reports = await this.retry("roundReports", () => this.roundReports(roundId)).catch(
      () => null,
    );
    return { roundId, prices, reports };
  }

  /** The signers' reported prices of round `roundId`, from its submitRound calldata (see oracleRound). */
  private async roundReports(roundId: bigint): Promise<bigint[][] | null> {
    const [event] = await this.oracle.queryFilter(
      this.oracle.filters.RoundFinalized(roundId),
      this.fromBlock,
    );
    const tx = event && (await this.provider.getTransaction(event.transactionHash));
    if (!tx?.to || getAddress(tx.to) !== getAddress(this.oracle.target as string)) return null;
    const call = this.oracle.interface.parseTransaction({ data: tx.data, value: tx.value });
    if (call?.name !== "submitRound" || BigInt(call.args[0]) !== roundId) return null;
    return (call.args[1] as { prices: bigint[] }[]).map((r) => [...r.prices].map(BigInt));
  }

  /** The funding indices the Funding contract records for oracle round `roundId`. */
  async fundingIndices(roundId: bigint): Promise<bigint[]> {
    return ((await this.funding.getFunction("indicesOf")(roundId)) as bigint[]).map(BigInt);
  }

  async depositsFrom(from: number): Promise<Deposit[]> {
    return this.retry("deposits", async () => {
      const count = Number(await this.vault.getFunction("depositCount")());
      if (count <= from) return [];
      const events = await this.vault.queryFilter(this.vault.filters.Deposited(), 0);
      return events
        .map((e) => ("args" in e ? e.args : undefined))
        .filter((a): a is NonNullable<typeof a> => a !== undefined && Number(a.index) >= from)
        .sort((a, b) => Number(a.index) - Number(b.index))
        .map((a) =>
          depositOfEntry({
            account: BigInt(a.account),
            amount: BigInt(a.amount),
            pkX: BigInt(a.pkX),
            pkY: BigInt(a.pkY),
            flag: BigInt(a.flag),
          }),
        );
    });
  }

  async ownerRotations(): Promise<OwnerRotationView[]> {
    return this.retry("ownerRotation", async () => {
      const out: OwnerRotationView[] = [];
      for (const account of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
        const r = (await this.vault.getFunction("ownerRotation")(account)) as bigint[];
        const [time, position] = [r[3], r[4]];
        if (time === 0n) continue;
        out.push({
          account,
          time: Number(time),
          position: position === NOT_QUEUED ? null : Number(position),
        });
      }
      return out;
    });
  }

  async forcedFrom(from: number): Promise<ForcedEntry[]> {
    return this.retry("forced", async () => {
      const [count] = (await this.settlement.getFunction("forcedQueue")()) as bigint[];
      if (Number(count) <= from) return [];
      const events = await this.settlement.queryFilter(
        this.settlement.filters.ForcedRequested(),
        0,
      );
      const out: ForcedEntry[] = [];
      for (const e of events) {
        if (!("args" in e) || Number(e.args.index) < from) continue;
        const a = e.args;
        out.push({
          index: Number(a.index),
          requester: String(a.requester),
          requestedAt: await this.blockTime(e.blockNumber),
          request: {
            account: BigInt(a.account),
            amount: BigInt(a.amount),
            recipient: BigInt(a.recipient),
            signature: { r8x: BigInt(a.sigR8x), r8y: BigInt(a.sigR8y), s: BigInt(a.sigS) },
          },
        });
      }
      return out.sort((x, y) => x.index - y.index);
    });
  }

  private readonly blockTimes = new Map<number, number>();

  private async blockTime(block: number): Promise<number> {
    let t = this.blockTimes.get(block);
    if (t === undefined) {
      t = (await this.provider.getBlock(block))?.timestamp ?? 0;
      this.blockTimes.set(block, t);
    }
    return t;
  }

  private forcedDeadline: number | undefined;

  async escape(): Promise<EscapeView> {
    return this.retry("escape", async () => {
      const s = this.settlement;
      this.forcedDeadline ??= Number(await s.getFunction("forcedDeadline")());
      // asked raw where possible: ethers answers "latest" from a short cache
      const raw = this.provider as Partial<JsonRpcApiProvider>;
      const block = raw.send
        ? ((await raw.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string })
        : { timestamp: String((await this.provider.getBlock("latest"))?.timestamp ?? 0) };
      const [at, roundId, batches] = (await s.getFunction("freezeInfo")()) as bigint[];
      return {
        forcedDeadline: this.forcedDeadline,
        chainTime: Number(BigInt(block.timestamp)),
        frozen:
          at === 0n
            ? null
            : {
                at: Number(at),
                root: BigInt(await s.getFunction("frozenRoot")()),
                batches: Number(batches),
                roundId: BigInt(roundId),
              },
      };
    });
  }

  async stateRoot(): Promise<bigint> {
    return this.retry("stateRoot", async () =>
      BigInt(await this.settlement.getFunction("stateRoot")()),
    );
  }

  /**
   * Signs the batch's transaction without sending it. The contract is asked first (gas
   * estimate): a batch it would refuse is a SubmitError naming its custom error, and no
   * transaction exists.
   */
  async prepare(b: BatchData, proof: Groth16Proof): Promise<SignedTx> {
    const { to, data, gas } = await this.estimate(b, proof);
    // the node's count wins when another client of this key sent transactions meanwhile
    const pending = await this.retry("nonce", () => this.signer.getNonce("pending"));
    const nonce = Math.max(this.nonce ?? 0, pending);
    const tx = await this.retry("populate", () =>
      this.signer.populateTransaction({ to, data, nonce, gasLimit: (gas * 12n) / 10n }),
    );
    const raw = await this.signer.signTransaction(tx);
    this.nonce = nonce + 1;
    return { hash: keccak256(raw), nonce, raw };
  }

  /**
   * Whether Settlement would take the batch now (its gas estimate), without signing
   * anything: the refusal classified as in `prepare`. The operator asks after a
   * transaction of its reverted, to learn why.
   */
  async check(b: BatchData, proof: Groth16Proof): Promise<void> {
    await this.estimate(b, proof);
  }

  private async estimate(
    b: BatchData,
    proof: Groth16Proof,
  ): Promise<{ to: string; data: string; gas: bigint }> {
    const method = BATCH_KINDS[b.kind].method;
    const attestations = await this.attestations(b, proof);
    const data = this.settlement.interface.encodeFunctionData(
      method,
      callArgs(b, proof, attestations),
    );
    const to = await this.settlement.getAddress();
    const from = this.signer.address;
    try {
      const gas = await this.retry("estimate", () => this.provider.estimateGas({ to, from, data }));
      return { to, data, gas };
    } catch (e) {
      if (transient(e)) throw e;
      const name = revertName(this.decode(e)) ?? (e as Error).message;
      // a batch late for its oracle round: the operator cuts it again at the latest round
      if (name === "RoundSuperseded" || name === "StalePrices")
        throw new SubmitError("BATCH_LATE", `${method}: Settlement refuses it (${name})`, {
          cause: e,
        });
      // the exchange is frozen for good: no batch will ever be taken
      if (name === "ExchangeFrozen")
        throw new SubmitError("SETTLEMENT_FROZEN", `${method}: Settlement is frozen`, {
          cause: e,
        });
      // the committee's signatures no longer do (its members changed): gather them again
      if (COMMITTEE_ERRORS.has(name)) {
        this.attested = undefined;
        throw new SubmitError(
          "BATCH_UNATTESTED",
          `${method}: Settlement refuses the committee's signatures (${name})`,
          { cause: e },
        );
      }
      // a pause ends by itself (at most MAX_PAUSE): wait it out, do not give the batch up
      if (name === "ContractPaused")
        throw new SubmitError("SETTLEMENT_PAUSED", `${method}: Settlement is paused`, {
          cause: e,
        });
      throw new SubmitError("BATCH_REFUSED", `${method}: Settlement refuses it (${name})`, {
        cause: e,
      });
    }
  }

  /** ethers' error with the contract's custom error decoded, if it carries revert data. */
  private decode(e: unknown): unknown {
    const data = (e as { data?: string }).data;
    if (typeof data !== "string") return e;
    try {
      // Settlement's own errors, or the committee's (Committee.check reverts inside a batch)
      const parsed =
        this.settlement.interface.parseError(data) ?? this.committeeErrors.parseError(data);
      return parsed ? { revert: { name: parsed.name } } : e;
    } catch {
      return e;
    }
  }

  /**
   * Sends a signed transaction (again, if the node lost it) and waits for its receipt. A
   * transaction whose nonce was taken by another can never land: `dead`.
   */
  async send(tx: SignedTx): Promise<SentBatch> {
    const known = await this.receiptOf(tx.hash);
    if (known) return known;
    try {
      await this.retry("send", () => this.provider.broadcastTransaction(tx.raw));
    } catch (e) {
      const code = (e as { code?: string }).code;
      const msg = String((e as Error).message);
      // the node has it already (a resend), or mined it meanwhile
      const again = await this.receiptOf(tx.hash);
      if (again) return again;
      if (code === "NONCE_EXPIRED" || /nonce too low/i.test(msg)) {
        this.nonce = undefined;
        return { status: "dead" };
      }
      if (!/already known|known transaction|already imported/i.test(msg)) throw e;
    }
    return this.awaitReceipt(tx);
  }

  /**
   * Polls for the receipt until `waitMs` has passed: then the transaction is dead if its
   * nonce was used by a mined transaction (and it has no receipt), else still pending.
   */
  private async awaitReceipt(tx: SignedTx): Promise<SentBatch> {
    const until = Date.now() + this.waitMs;
    for (;;) {
      const r = await this.receiptOf(tx.hash);
      if (r) return r;
      const mined = await this.retry("nonce", () => this.signer.getNonce("latest"));
      if (mined > tx.nonce) {
        // mined meanwhile, or its nonce went to another transaction; ethers answers a
        // repeated call from a cache for 250 ms, so look again after that
        await new Promise((res) => setTimeout(res, 300));
        const late = await this.receiptOf(tx.hash);
        if (late) return late;
        this.nonce = undefined;
        return { status: "dead" };
      }
      if (Date.now() >= until) return { status: "pending" };
      await new Promise((res) => setTimeout(res, this.pollMs));
    }
  }

  private async receiptOf(hash: string): Promise<SentBatch | undefined> {
    const r = await this.retry("receipt", () => this.provider.getTransactionReceipt(hash));
    if (!r) return undefined;
    return r.status === 1
      ? { status: "mined", txHash: r.hash, gasUsed: r.gasUsed }
      : { status: "reverted", txHash: r.hash, gasUsed: r.gasUsed };
  }

  /** Sends a proven batch and waits for its receipt (prepare, then send). */
  async submit(b: BatchData, proof: Groth16Proof): Promise<{ txHash: string; gasUsed: bigint }> {
    const sent = await this.send(await this.prepare(b, proof));
    if (sent.status !== "mined")
      throw new SubmitError("BATCH_REFUSED", `${BATCH_KINDS[b.kind].method}: ${sent.status}`);
    return { txHash: sent.txHash, gasUsed: sent.gasUsed };
  }
}
