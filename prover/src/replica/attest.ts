import { getAddress } from "ethers";
import type { Groth16Proof, VerificationKey } from "snarkjs";
import type { BatchData } from "../domain/batch.ts";
import { BATCH_KINDS, batchCommitment, kindBinding } from "../domain/batch-kinds.ts";
import type { CircuitId } from "../domain/circuits.ts";
import { attestationOf, CommitteeError, type Attestation } from "../domain/committee.ts";
import { ZkClearError } from "../domain/errors.ts";
import { priceConfigHash } from "../domain/market.ts";
import { marginsText, marginsWord, unpackMarginsWord } from "../domain/volatility.ts";
import { batchFileName, parseBatchFile, type PublishedConfig } from "../engine/batch-file.ts";
import { applyBatch } from "../engine/kinds.ts";
import type { ExchangeState } from "../engine/state.ts";
import { verify } from "../proving/prover.ts";
import { books, checkInvariants, type VaultBooks } from "../audit/invariants.ts";

/**
 * The checks a replica makes before it attests a batch (POST /v1/attest), cheapest first:
 * the file parses, its kind is attested, it is of this deployment, it is the chain's next
 * batch from the replica's root, its records hash to its stated commitment, its marks are
 * the oracle round's prices, the engine replays it on the live state to its new root
 * (always rolled back), the books stay solvent after it, and last the proof verifies for
 * public inputs rebuilt from the file and the round's binding. Each refusal has its own
 * code (domain/error-codes.ts, area committee) and says what was wrong.
 */

/** What the checks read of the replica (its state after catching up with the chain). */
export interface AttestContext {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly config: PublishedConfig;
  readonly state: ExchangeState;
  readonly vkeys: Readonly<Record<CircuitId, VerificationKey>>;
  /** The chain's next batch number (batchCount) as replayed. */
  readonly nextBatch: number;
  vaultBooks(): VaultBooks;
  /** The oracle's prices of a round (empty or throwing when it has none). */
  roundPrices(roundId: bigint): Promise<bigint[]>;
  /** The oracle's reduce-only markets of a round (its circuit breakers). */
  roundReduceOnly(roundId: bigint): Promise<bigint>;
  /** The Funding contract's indices for a round. */
  roundIndices(roundId: bigint): Promise<bigint[]>;
  /** The oracle's margin multipliers of a round (its volatility rule), packed. */
  roundMargins(roundId: bigint): Promise<bigint>;
}

/** A batch that passed every check: what to sign and what to store. */
export interface CheckedBatch {
  readonly attestation: Attestation;
  readonly data: BatchData;
  readonly name: string;
}

const refuse = (code: ConstructorParameters<typeof CommitteeError>[0], message: string): never => {
  throw new CommitteeError(code, message);
};

function sameList(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Runs every check on `fileText` and `proof`; throws the first refusal. */
export async function checkAttestRequest(
  ctx: AttestContext,
  fileText: string,
  proof: unknown,
): Promise<CheckedBatch> {
  // 1. the file
  let parsed;
  try {
    parsed = parseBatchFile(fileText, "the file");
  } catch (e) {
    return refuse("ATTEST_FILE_INVALID", `the batch file does not parse: ${(e as Error).message}`);
  }
  const { meta, data: d, statedCommitment } = parsed;
  const spec = BATCH_KINDS[d.kind];
  const n = meta.batch;

  // 2. kind, deployment, position
  if (!spec.attested)
    refuse(
      "ATTEST_KIND",
      `batch ${n} is a ${d.kind} batch: its data is on-chain, the committee does not attest it`,
    );
  if (meta.chainId !== ctx.chainId || getAddress(meta.settlement) !== ctx.settlement)
    refuse(
      "ATTEST_FOREIGN",
      `the file is of chain ${meta.chainId} / Settlement ${meta.settlement}; this replica attests chain ${ctx.chainId} / ${ctx.settlement}`,
    );
  if (n !== ctx.nextBatch)
    refuse("ATTEST_NOT_NEXT", `the file is batch ${n}; the chain's next batch is ${ctx.nextBatch}`);
  if (d.oldRoot !== ctx.state.root)
    refuse(
      "ATTEST_NOT_NEXT",
      `batch ${n} starts from root ${d.oldRoot}; the replica's state (batch ${n - 1} replayed) is at root ${ctx.state.root}`,
    );

  // 3. the records and the prices
  const commitment = batchCommitment(d);
  if (commitment !== statedCommitment)
    refuse(
      "ATTEST_TAMPERED",
      `batch ${n}'s records hash to ${commitment}, the file states commitment ${statedCommitment}`,
    );
  let prices: bigint[] = [];
  let indices: bigint[] = [];
  if ("marks" in d && spec.priced) {
    try {
      prices = await ctx.roundPrices(d.round);
    } catch (e) {
      refuse("ATTEST_PRICES", `oracle round ${d.round} cannot be read: ${(e as Error).message}`);
    }
    if (prices.length === 0)
      refuse("ATTEST_PRICES", `oracle round ${d.round} has no prices (not posted)`);
    if (!sameList(d.marks, prices))
      refuse(
        "ATTEST_PRICES",
        `batch ${n} is at marks [${d.marks.join(", ")}]; oracle round ${d.round} published [${prices.join(", ")}]`,
      );
    try {
      indices = await ctx.roundIndices(d.round);
    } catch (e) {
      refuse(
        "ATTEST_PRICES",
        `the funding indices of round ${d.round} cannot be read: ${(e as Error).message}`,
      );
    }
    if (!sameList(d.fundingIndices, indices))
      refuse(
        "ATTEST_PRICES",
        `batch ${n} settles funding at indices [${d.fundingIndices.join(", ")}]; the Funding contract's for round ${d.round} are [${indices.join(", ")}]`,
      );
    let word: bigint | undefined;
    try {
      word = await ctx.roundMargins(d.round);
    } catch (e) {
      refuse(
        "ATTEST_PRICES",
        `the margin multipliers of round ${d.round} cannot be read: ${(e as Error).message}`,
      );
    }
    if (word !== marginsWord(d.margins))
      refuse(
        "ATTEST_PRICES",
        `batch ${n} is at margin multipliers ${marginsText(d.margins)}; oracle round ${d.round} has ${marginsText(unpackMarginsWord(word!, prices.length))}`,
      );
  }

  if (d.kind === "trades") {
    let mask: bigint | undefined;
    try {
      mask = await ctx.roundReduceOnly(d.round);
    } catch (e) {
      refuse(
        "ATTEST_PRICES",
        `the reduce-only markets of round ${d.round} cannot be read: ${(e as Error).message}`,
      );
    }
    if (mask !== d.reduceOnly)
      refuse(
        "ATTEST_PRICES",
        `batch ${n} trades with reduce-only markets ${d.reduceOnly}; oracle round ${d.round} has ${mask}`,
      );
  }

  // 4. replay on the live state, always rolled back
  replayChecks(ctx, n, d);

  // 5. the proof, for public inputs rebuilt from the file and the round's binding
  const signals = spec.publicSignals({
    oldRoot: d.oldRoot,
    newRoot: d.newRoot,
    commitment,
    binding:
      "margins" in d && spec.priced
        ? kindBinding(d, priceConfigHash(ctx.state, prices, indices, d.margins))
        : undefined,
    payouts: "payouts" in d ? d.payouts : undefined,
  });
  let valid = false;
  try {
    valid = await verify(ctx.vkeys[spec.circuit], signals, proof as Groth16Proof);
  } catch (e) {
    refuse("ATTEST_BAD_PROOF", `the proof cannot be read: ${(e as Error).message}`);
  }
  if (!valid)
    refuse(
      "ATTEST_BAD_PROOF",
      `the ${d.kind} proof does not verify under the ${spec.circuit} key for batch ${n}'s roots, commitment${spec.priced ? ` and oracle round ${"round" in d ? d.round : "?"}'s binding` : ""}`,
    );
  return {
    data: d,
    name: batchFileName(n),
    // the signature names the round too: the batch lands only at the round the file states
    attestation: attestationOf(n, d),
  };
}

/** Replays the batch, checks its root and the books, and rolls the state back. */
function replayChecks(ctx: AttestContext, n: number, d: BatchData): void {
  const state = ctx.state;
  state.startJournal();
  try {
    try {
      applyBatch(state, d, ctx.config.paramSet);
    } catch (e) {
      const code = e instanceof ZkClearError ? ` (${e.code})` : "";
      refuse(
        "ATTEST_REPLAY_REFUSED",
        `the engine refuses batch ${n} on the replica's state: ${(e as Error).message}${code}`,
      );
    }
    if (state.root !== d.newRoot)
      refuse(
        "ATTEST_ROOT_MISMATCH",
        `replaying batch ${n} gives root ${state.root}, the file states new root ${d.newRoot}`,
      );
    const { breaches } = checkInvariants(
      books(state),
      ctx.vaultBooks(),
      ctx.config.markets.map((m) => m.symbol),
    );
    if (breaches.length)
      refuse("ATTEST_INSOLVENT", `after batch ${n}: ${breaches.map((b) => b.message).join("; ")}`);
  } finally {
    state.rollback(state.stopJournal());
  }
}

/**
 * The checks that need no state, made before the replica takes its lock: the body is a
 * batch file of this deployment, of a kind the committee attests. Returns its number.
 */
export function precheckAttest(
  file: unknown,
  chainId: bigint,
  settlement: string,
): { batch: number } {
  let parsed;
  try {
    parsed = parseBatchFile(JSON.stringify(file), "the file");
  } catch (e) {
    throw new CommitteeError(
      "ATTEST_FILE_INVALID",
      `the batch file does not parse: ${(e as Error).message}`,
    );
  }
  const { meta, data } = parsed;
  if (!BATCH_KINDS[data.kind].attested)
    throw new CommitteeError(
      "ATTEST_KIND",
      `batch ${meta.batch} is a ${data.kind} batch: its data is on-chain, the committee does not attest it`,
    );
  if (meta.chainId !== chainId || getAddress(meta.settlement) !== settlement)
    throw new CommitteeError(
      "ATTEST_FOREIGN",
      `the file is of chain ${meta.chainId} / Settlement ${meta.settlement}; this replica attests chain ${chainId} / ${settlement}`,
    );
  return { batch: meta.batch };
}
