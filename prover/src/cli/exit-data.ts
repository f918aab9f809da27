import fs from "node:fs";
import type { Command } from "commander";
import { getAddress } from "ethers";
import { toExitDataFile, type ExitData } from "../domain/exit-data.ts";
import { receiptExitData } from "../domain/receipts.ts";
import { exitDataOf } from "../engine/exit-data.ts";
import { frozenMarks, fundingIndicesAt, roundMarginsOf } from "../audit/chain.ts";
import { readFreeze, type FreezeState } from "../audit/replica-tree.ts";
import { bigintArg, CliError, EXIT, type Output } from "./common.ts";
import {
  asRefusal,
  replicaTree,
  report,
  chainOptions,
  connect,
  isoTime,
  readReceipts,
  receiptsDir,
  receiptsFile,
  type ChainOptions,
  type EscapeChain,
} from "./escape-common.ts";

interface ExitDataOptions extends ChainOptions {
  account: string;
  from: string;
  out?: string;
  params?: string;
  receipts?: string;
}

/** The freeze, refused with NOT_FROZEN while the exchange is live. */
export async function frozenState(c: EscapeChain): Promise<FreezeState> {
  const f = await readFreeze(c.provider, c.deployment.addresses.settlement);
  if (f.frozenAt === 0n)
    throw new CliError(
      "NOT_FROZEN",
      "the exchange is not frozen: exits start after a freeze (zkclear freeze says when one is possible)",
      EXIT.refused,
    );
  return f;
}

async function fromReplica(
  c: EscapeChain,
  o: ExitDataOptions,
  account: bigint,
  out: Output,
): Promise<ExitData> {
  const t = await replicaTree(c, o.from, o.params, out);
  if (!t.freeze) throw new CliError("NOT_FROZEN", "the exchange is not frozen", EXIT.refused);
  if (!t.state.hasAccount(account) || account === 0n)
    throw new CliError(
      "ACCOUNT_NOT_FOUND",
      `account ${account} has no leaf in the frozen tree (was its deposit never credited? then: zkclear reclaim-deposit)`,
      EXIT.refused,
    );
  return exitDataOf(
    t.state,
    account,
    {
      chainId: t.chainId,
      settlement: getAddress(c.deployment.addresses.settlement),
      batches: t.batches,
      roundId: t.freeze.roundId,
      marks: t.marks,
      fundingIndices: t.fundingIndices,
      margins: t.margins,
    },
    `replica ${t.describe}`,
  );
}

async function fromReceipt(
  c: EscapeChain,
  o: ExitDataOptions,
  account: bigint,
  freeze: FreezeState,
): Promise<ExitData> {
  const file = receiptsFile(receiptsDir(o.receipts), c.deployment, account);
  const book = readReceipts(file);
  if (!book)
    throw new CliError(
      "RECEIPT_MISSING",
      `no receipts of account ${account} at ${file} (zkclear account keeps them): use a replica (--from <dir|url>)`,
      EXIT.refused,
    );
  const marks = await frozenMarks(
    c.provider,
    c.deployment.addresses.oracle,
    freeze.roundId,
    c.deployment.markets.length,
  );
  const fundingIndices = await fundingIndicesAt(
    c.provider,
    c.deployment.addresses.funding,
    freeze.roundId,
  );
  const margins = await roundMarginsOf(
    c.provider,
    c.deployment.addresses.oracle,
    freeze.roundId,
    marks.length,
  );
  return receiptExitData(book, { ...freeze, marks, fundingIndices, margins }, `receipt ${file}`);
}

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("exit-data")
      .description(
        "after a freeze: an account's leaf and Merkle path at the frozen root, and its payout, without the operator",
      )
      .requiredOption("--account <n>", "account index")
      .requiredOption(
        "--from <source>",
        "`receipt` (the receipts zkclear account kept) or a replica of the published batch files (a directory or the operator's /v1/published URL)",
      )
      .option("--out <file>", "write the exit data here (default: print it)")
      .option("--params <set>", "parameter set when the replica has no config.json")
      .option(
        "--receipts <dir>",
        "where zkclear account keeps receipts (default ~/.zkclear/receipts)",
      ),
  ).action(async (o: ExitDataOptions) => {
    const account = bigintArg("account", o.account);
    const c = await connect(o);
    try {
      const freeze = await frozenState(c);
      const data = await asRefusal(() =>
        o.from === "receipt"
          ? fromReceipt(c, o, account, freeze)
          : fromReplica(c, o, account, out()),
      );
      if (data.root !== freeze.root)
        throw new CliError(
          "ROOTS_MISMATCH",
          `the exit data is at root ${data.root}, the frozen root is ${freeze.root}`,
          EXIT.refused,
        );
      const text = toExitDataFile(data);
      if (o.out) fs.writeFileSync(o.out, text);
      else if (!out().json) process.stdout.write(text);
      const summary = {
        account,
        payout: data.payout,
        root: data.root,
        batches: data.batches,
        roundId: data.roundId,
        marks: data.marks,
        source: data.source,
        frozenAt: freeze.frozenAt,
        out: o.out ?? null,
      };
      if (out().json || o.out)
        report(
          out(),
          summary,
          `account ${account}: exits with ${data.payout} at the marks of round ${data.roundId} (frozen ${isoTime(freeze.frozenAt)}); leaf and path checked against the frozen root ${data.root}\n` +
            `from ${data.source}; written to ${o.out}`,
        );
    } finally {
      c.close();
    }
  });
}
