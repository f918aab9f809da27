import { getAddress } from "ethers";
import { leafHash, validateAccount, type Account } from "./account.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { exitPayout } from "./exit.ts";
import { fromJson, toJson } from "./json.ts";
import { deploymentDomain } from "./messages.ts";
import { AccountTree } from "./tree.ts";
import { checkMargins, type RoundMargins } from "./volatility.ts";

/**
 * An account's exit data (zkclear-exit-data/1): everything `zkclear exit` needs besides the
 * account key to prove the account's exit (ExitAccount) after a freeze, without the
 * operator: the leaf (the account's fields), its Merkle siblings, the frozen root they lead
 * to, the oracle round recorded at the freeze with its marks, and the payout those marks
 * give. It is self-checking: the leaf must hash along the siblings to `root`, and Settlement
 * accepts only proofs against its frozenRoot, so a wrong file can only fail, never pay
 * another amount. Made by engine/exit-data.ts from a rebuilt tree (a replica) or a receipt.
 */
export const EXIT_DATA_FORMAT = "zkclear-exit-data/2";

export interface ExitData {
  readonly chainId: bigint;
  /** Settlement's address (checksummed). */
  readonly settlement: string;
  /** The tree's binary depth (the parameter set's). */
  readonly depth: number;
  readonly account: bigint;
  readonly leaf: Account;
  /** The leaf's siblings per level (domain/tree.ts MerkleProof.siblings). */
  readonly siblings: readonly (readonly bigint[])[];
  /** The frozen root (Settlement.frozenRoot()). */
  readonly root: bigint;
  /** Batches Settlement accepted before the freeze (freezeInfo().batches). */
  readonly batches: number;
  /** The oracle round recorded at the freeze, and its prices: the exit marks. */
  readonly roundId: bigint;
  readonly marks: readonly bigint[];
  /** The markets' funding indices at that round (the Funding contract's). */
  readonly fundingIndices: readonly bigint[];
  /** That round's margin multipliers (the oracle's; the exit proof's binding includes them). */
  readonly margins: RoundMargins;
  /** max(0, equity at the marks after funding): what the exit proof states. */
  readonly payout: bigint;
  /** Where it came from: "replica <dir or URL>" or "receipt <file>". */
  readonly source: string;
}

export class ExitDataError extends ZkClearError<CodeOf<"batch">> {}

/** The deployment domain the exit data's signature must name. */
export function exitDataDomain(d: ExitData): bigint {
  return deploymentDomain(d.chainId, d.settlement);
}

/**
 * Checks that the data holds together: a valid leaf, at `account`, hashing along its
 * siblings to `root`, and the payout its marks give. Throws ExitDataError naming what is
 * wrong.
 */
export function checkExitData(d: ExitData, name = "exit data"): ExitData {
  let leaf: bigint;
  try {
    validateAccount(d.leaf);
    leaf = leafHash(d.leaf);
  } catch (e) {
    throw new ExitDataError("EXIT_DATA_INVALID", `${name}: the leaf is invalid: ${msg(e)}`);
  }
  let root: bigint;
  try {
    root = AccountTree.computeRoot(
      leaf,
      d.account,
      d.siblings.map((s) => [...s]),
      d.depth,
    );
  } catch (e) {
    throw new ExitDataError("EXIT_DATA_INVALID", `${name}: the Merkle path is invalid: ${msg(e)}`);
  }
  if (root !== d.root)
    throw new ExitDataError(
      "EXIT_DATA_MISMATCH",
      `${name}: account ${d.account}'s leaf and siblings lead to root ${root}, not to the stated root ${d.root}`,
    );
  if (d.marks.length !== d.leaf.positions.length)
    throw new ExitDataError(
      "EXIT_DATA_INVALID",
      `${name}: ${d.marks.length} marks for ${d.leaf.positions.length} markets`,
    );
  if (d.fundingIndices.length !== d.leaf.positions.length)
    throw new ExitDataError(
      "EXIT_DATA_INVALID",
      `${name}: ${d.fundingIndices.length} funding indices for ${d.leaf.positions.length} markets`,
    );
  try {
    checkMargins(d.margins, d.leaf.positions.length);
  } catch (e) {
    throw new ExitDataError("EXIT_DATA_INVALID", `${name}: ${msg(e)}`);
  }
  const payout = exitPayout(d.leaf, d.marks, d.fundingIndices);
  if (payout !== d.payout)
    throw new ExitDataError(
      "EXIT_DATA_MISMATCH",
      `${name}: the leaf pays ${payout} at the marks, the file states ${d.payout}`,
    );
  return d;
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The exit data as its file (bigints as "<digits>n", domain/json.ts). */
export function toExitDataFile(d: ExitData): string {
  return JSON.stringify(JSON.parse(toJson({ format: EXIT_DATA_FORMAT, ...d })), null, 2) + "\n";
}

const FIELDS = [
  "format",
  "chainId",
  "settlement",
  "depth",
  "account",
  "leaf",
  "siblings",
  "root",
  "batches",
  "roundId",
  "marks",
  "fundingIndices",
  "margins",
  "payout",
  "source",
] as const;

/** Reads and checks an exit data file (see checkExitData). */
export function parseExitDataFile(text: string, name = "exit data file"): ExitData {
  const bad = (what: string): never => {
    throw new ExitDataError("EXIT_DATA_INVALID", `${name}: ${what}`);
  };
  let raw: Record<string, unknown>;
  try {
    raw = fromJson<Record<string, unknown>>(text);
  } catch (e) {
    return bad(`not JSON (${msg(e)})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("not an object");
  if (raw.format !== EXIT_DATA_FORMAT)
    bad(`format must be "${EXIT_DATA_FORMAT}", got ${JSON.stringify(raw.format)}`);
  const extra = Object.keys(raw).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra.length) bad(`unknown field(s) ${extra.join(", ")}`);
  for (const f of FIELDS) if (!(f in raw)) bad(`has no field "${f}"`);
  const big = (f: string, v: unknown = raw[f]): bigint =>
    typeof v === "bigint" && v >= 0n ? v : bad(`${f} must be a non-negative integer`);
  const int = (f: string): number =>
    typeof raw[f] === "number" && Number.isSafeInteger(raw[f]) && (raw[f] as number) >= 0
      ? (raw[f] as number)
      : bad(`${f} must be a non-negative integer`);
  const list = (f: string, v: unknown = raw[f]): unknown[] =>
    Array.isArray(v) ? v : bad(`${f} must be an array`);
  let settlement = "";
  try {
    settlement = getAddress(String(raw.settlement));
  } catch {
    bad(`settlement must be an address, got ${JSON.stringify(raw.settlement)}`);
  }
  const d: ExitData = {
    chainId: big("chainId"),
    settlement,
    depth: int("depth"),
    account: big("account"),
    leaf: raw.leaf as Account,
    siblings: list("siblings").map((s, l) =>
      list(`siblings[${l}]`, s).map((x, k) => big(`siblings[${l}][${k}]`, x)),
    ),
    root: big("root"),
    batches: int("batches"),
    roundId: big("roundId"),
    marks: list("marks").map((x, j) => big(`marks[${j}]`, x)),
    fundingIndices: list("fundingIndices").map((x, j) =>
      typeof x === "bigint" ? x : bad(`fundingIndices[${j}] must be an integer`),
    ),
    margins: (() => {
      const m = raw.margins as { mult?: unknown; liqMult?: unknown } | null;
      if (typeof m !== "object" || m === null) return bad("margins must be { mult, liqMult }");
      return {
        mult: list("margins.mult", m.mult).map((x, j) => big(`margins.mult[${j}]`, x)),
        liqMult: list("margins.liqMult", m.liqMult).map((x, j) => big(`margins.liqMult[${j}]`, x)),
      };
    })(),
    payout: big("payout"),
    source: typeof raw.source === "string" ? raw.source : bad("source must be a string"),
  };
  const leaf = raw.leaf as { pubKey?: unknown; positions?: unknown } | null;
  if (typeof leaf !== "object" || leaf === null || typeof leaf.pubKey !== "object")
    bad("leaf must be an account (pubKey, collateral, withdrawNonce, positions)");
  list("leaf.positions", leaf!.positions);
  return checkExitData(d, name);
}
