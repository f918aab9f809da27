import { getAddress } from "ethers";
import { leafHash, validateAccount, type Account } from "./account.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { exitPayout } from "./exit.ts";
import { checkExitData, type ExitData } from "./exit-data.ts";
import { fromJson, toJson } from "./json.ts";
import { AccountTree } from "./tree.ts";
import type { RoundMargins } from "./volatility.ts";

/**
 * The receipts `zkclear account` keeps (zkclear-receipts/1): for one account of one
 * deployment, the latest leaves and Merkle paths it has checked, newest first, one per
 * root, at most RECEIPTS_KEPT. After a freeze, the one whose root is the frozen root is the
 * account's exit data without the operator or a replica (receiptExitData). Several are
 * kept because the operator may show a root ahead of the chain that never settles: the
 * frozen root is then an older one.
 */
export const RECEIPTS_FORMAT = "zkclear-receipts/1";
export const RECEIPTS_KEPT = 16;

export interface Receipt {
  readonly account: bigint;
  readonly leaf: Account;
  readonly siblings: readonly (readonly bigint[])[];
  readonly root: bigint;
  /** Settlement's batchCount when its stateRoot was `root` (null: not seen on-chain). */
  readonly batch: number | null;
  /** When it was checked (Unix seconds). */
  readonly checkedAt: number;
}

export interface ReceiptBook {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly depth: number;
  readonly account: bigint;
  readonly receipts: readonly Receipt[];
}

export class ReceiptError extends ZkClearError<CodeOf<"cli">> {}

/** Checks that a receipt's leaf hashes along its siblings to its root. */
export function checkReceipt(r: Receipt, depth: number): Receipt {
  const fail = (why: string): never => {
    throw new ReceiptError(
      "RECEIPT_INVALID",
      `the receipt of account ${r.account} at root ${r.root} does not hold: ${why}`,
    );
  };
  let root = 0n;
  try {
    validateAccount(r.leaf);
    root = AccountTree.computeRoot(
      leafHash(r.leaf),
      r.account,
      r.siblings.map((s) => [...s]),
      depth,
    );
  } catch (e) {
    fail((e as Error).message);
  }
  if (root !== r.root) fail(`the leaf and siblings lead to ${root}`);
  return r;
}

/**
 * The book with `r` added in front: a receipt of the same root is replaced (keeping the
 * batch at which it was seen on-chain, if the new check did not see it), and only the
 * newest RECEIPTS_KEPT remain.
 */
export function addReceipt(book: ReceiptBook, r: Receipt): ReceiptBook {
  checkReceipt(r, book.depth);
  const same = book.receipts.find((x) => x.root === r.root);
  const merged = { ...r, batch: r.batch ?? same?.batch ?? null };
  return {
    ...book,
    receipts: [merged, ...book.receipts.filter((x) => x.root !== r.root)].slice(0, RECEIPTS_KEPT),
  };
}

export function toReceiptsFile(book: ReceiptBook): string {
  return JSON.stringify(JSON.parse(toJson({ format: RECEIPTS_FORMAT, ...book })), null, 2) + "\n";
}

export function parseReceiptsFile(text: string, name = "receipts file"): ReceiptBook {
  let raw: ReceiptBook & { format?: unknown };
  try {
    raw = fromJson(text);
  } catch (e) {
    throw new ReceiptError("RECEIPT_INVALID", `${name}: not JSON (${(e as Error).message})`);
  }
  if (raw?.format !== RECEIPTS_FORMAT || !Array.isArray(raw.receipts))
    throw new ReceiptError("RECEIPT_INVALID", `${name}: not a ${RECEIPTS_FORMAT} file`);
  const book: ReceiptBook = {
    chainId: raw.chainId,
    settlement: getAddress(raw.settlement),
    depth: raw.depth,
    account: raw.account,
    receipts: raw.receipts,
  };
  for (const r of book.receipts) checkReceipt(r, book.depth);
  return book;
}

/**
 * The exit data of the receipt whose root is the frozen root; RECEIPT_STALE (naming the
 * newest receipt) when none is: the account changed after the last check, so a replica
 * must rebuild the tree.
 */
export function receiptExitData(
  book: ReceiptBook,
  freeze: {
    root: bigint;
    batches: number;
    roundId: bigint;
    marks: readonly bigint[];
    fundingIndices: readonly bigint[];
    margins: RoundMargins;
  },
  source: string,
): ExitData {
  const r = book.receipts.find((x) => x.root === freeze.root);
  if (!r) {
    const newest = book.receipts[0];
    throw new ReceiptError(
      "RECEIPT_STALE",
      newest
        ? `no receipt of account ${book.account} is at the frozen root ${freeze.root}: the newest (checked ${new Date(newest.checkedAt * 1000).toISOString()}) is at root ${newest.root}${newest.batch === null ? "" : ` (batch ${newest.batch})`}; the receipt is stale: use a replica (--from <dir|url>)`
        : `no receipt of account ${book.account} is kept: use a replica (--from <dir|url>)`,
    );
  }
  return checkExitData({
    chainId: book.chainId,
    settlement: book.settlement,
    depth: book.depth,
    account: book.account,
    leaf: r.leaf,
    siblings: r.siblings,
    root: r.root,
    batches: freeze.batches,
    roundId: freeze.roundId,
    marks: [...freeze.marks],
    fundingIndices: [...freeze.fundingIndices],
    margins: freeze.margins,
    payout: exitPayout(r.leaf, freeze.marks, freeze.fundingIndices),
    source,
  });
}
