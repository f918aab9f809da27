import { FUNDING_SCALE, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import type { BatchData, FundingPayment } from "../domain/batch.ts";
import type { Finding } from "./findings.ts";
import type { Progress } from "./progress.ts";
import { fundLegs } from "./compartment-checks.ts";

/**
 * The auditor's funding checks (README, "Funding"), after each priced batch:
 * - the file's funding indices are the Funding contract's for its round (FUNDING_INDEX_MISMATCH);
 * - what the file says each account paid or received is what its replay settles, and the
 *   longs pay what the shorts receive plus the rounding the system keeps
 *   (FUNDING_NOT_CONSERVED, naming what each side paid and should have);
 * - the ledger over the whole history, on the replayed state: the funding basis (sum of
 *   size * the index each position last paid at) equals the exact funding settled, so
 *   sum(payments) * 2^20 - basis lies in [0, 2^20 * settlements) (FUNDING_NOT_CONSERVED).
 * The totals go to the report (Progress.funding).
 */

/** The ledger the auditor keeps over the history (checkpointed with the progress). */
export interface FundingLedger {
  /** Quote units paid by the accounts that owed funding. */
  paid: bigint;
  /** Quote units credited to the accounts that were owed funding. */
  received: bigint;
  /** Settlements so far (entries of the batch files' funding records). */
  settlements: number;
  /**
   * The funding basis of the replayed state after the last batch checked (2^-20 quote
   * units): the exact funding settled so far. What the positions still owe, net, is -basis.
   */
  basis?: bigint;
}

export const emptyLedger = (): FundingLedger => ({
  paid: 0n,
  received: 0n,
  settlements: 0,
  basis: 0n,
});

interface FundingContext {
  readonly p: Progress;
  find(f: Finding): void;
}

/** The rounding the system kept so far, 2^-20 quote units: what was paid net, beyond the basis. */
export const roundingKept = (l: FundingLedger): bigint =>
  (l.paid - l.received) * FUNDING_SCALE - (l.basis ?? 0n);

const listOf = (xs: readonly FundingPayment[]) =>
  xs.map((f) => `${f.account}: ${f.payment}`).join(", ") || "none";

const sides = (xs: readonly FundingPayment[]) => ({
  paid: xs.reduce((s, f) => (f.payment > 0n ? s + f.payment : s), 0n),
  received: xs.reduce((s, f) => (f.payment < 0n ? s - f.payment : s), 0n),
});

/** The file's indices against the chain's (the Funding contract's for the batch's round). */
export function checkFundingIndices(
  ctx: Pick<FundingContext, "find">,
  n: number,
  name: string,
  d: BatchData,
  chainIndices: readonly bigint[] | undefined,
): void {
  if (!("fundingIndices" in d) || !chainIndices) return;
  const same =
    d.fundingIndices.length === chainIndices.length &&
    d.fundingIndices.every((x, j) => x === chainIndices[j]);
  if (!same)
    ctx.find({
      code: "FUNDING_INDEX_MISMATCH",
      batch: n,
      message: `${name} settled funding at indices [${d.fundingIndices.join(", ")}]; the Funding contract's for round ${d.round} are [${chainIndices.join(", ")}]`,
    });
}

/**
 * The file's funding records against the replay's; the replay's go into the ledger.
 * `replayed` is the engine's data for the batch (undefined if replay refused it).
 */
export function checkFundingReplay(
  ctx: FundingContext,
  n: number,
  file: BatchData,
  replayed: BatchData | undefined,
): void {
  if (!("funding" in file) || !replayed || !("funding" in replayed)) return;
  const stated = sides(file.funding);
  const due = sides(replayed.funding);
  const same =
    file.funding.length === replayed.funding.length &&
    file.funding.every(
      (f, i) =>
        f.account === replayed.funding[i].account && f.payment === replayed.funding[i].payment,
    );
  if (!same)
    ctx.find({
      code: "FUNDING_NOT_CONSERVED",
      batch: n,
      message:
        `the batch file's funding pays ${stated.paid} from the payers and ${stated.received} to the receivers ` +
        `(${listOf(file.funding)}); the positions owed ${due.paid} and were owed ${due.received} ` +
        `(${listOf(replayed.funding)})`,
    });
  const ledger = (ctx.p.funding ??= emptyLedger());
  ledger.paid += due.paid;
  ledger.received += due.received;
  ledger.settlements += replayed.funding.length + fundRoundings(replayed);
}

/**
 * The insurance fund's roundings beyond its one funding record: it settles a liquidation
 * batch's funding market by market, into its compartments (settleFundingByMarket), and in
 * a trade batch each market it trades on its own (settleFundingInMarket, summed into one
 * record): one rounding per market.
 */
function fundRoundings(d: BatchData): number {
  if (!("funding" in d) || !d.funding.some((f) => f.account === INSURANCE_ACCOUNT)) return 0;
  if (d.kind === "liquidations") return d.marks.length - 1;
  return Math.max(new Set(fundLegs(d).map((l) => l.market)).size - 1, 0);
}

/**
 * The ledger on the replayed state after a batch, given its funding basis (invariants.ts
 * books computes it with the rest of the books): the rounding kept must lie in
 * [0, 2^20 * settlements).
 */
export function checkFundingLedger(ctx: FundingContext, n: number, basis: bigint): void {
  const ledger = (ctx.p.funding ??= emptyLedger());
  ledger.basis = basis;
  const dust = roundingKept(ledger);
  if (dust < 0n || dust >= FUNDING_SCALE * BigInt(Math.max(ledger.settlements, 1)))
    ctx.find({
      code: "FUNDING_NOT_CONSERVED",
      batch: n,
      message:
        `after this batch the accounts have paid ${ledger.paid} and received ${ledger.received} in funding; ` +
        `the positions' funding basis says ${basis} / 2^20 was settled: the rounding ` +
        `kept would be ${dust} / 2^20 over ${ledger.settlements} settlements, outside [0, 1) unit each`,
    });
}
