import type { Command } from "commander";
import { forceWithdrawArgs, signForcedRequest } from "../domain/forced.ts";
import type { KeyPair } from "../domain/keys.ts";
import { bigintArg, CliError, loadKey, type Output } from "./common.ts";
import {
  address,
  replicaTree,
  report,
  chainOptions,
  connect,
  eventsOf,
  isoTime,
  readReceipts,
  receiptsDir,
  receiptsFile,
  simulate,
  type ChainOptions,
  type EscapeChain,
  type Refusal,
} from "./escape-common.ts";

interface ForceOptions extends ChainOptions {
  key: string;
  account: string;
  amount: string;
  to: string;
  nonce?: string;
  from?: string;
  params?: string;
  receipts?: string;
  passphrase?: string;
}

function explain(r: Refusal): { message: string } | undefined {
  switch (r.name) {
    case "WrongFee":
      return { message: `the request costs exactly ${r.args[1]} wei, ${r.args[0]} was sent` };
    case "BadForcedRequest":
      return {
        message: `account ${r.args[0]} is not a trader account opened in the Vault, or the amount ${r.args[1]} is out of 1..2^92-1`,
      };
    case "ExchangeFrozen":
      return { message: "the exchange is frozen: exit instead (zkclear exit-data, zkclear exit)" };
    default:
      return undefined;
  }
}

/**
 * The account's withdrawal nonce (what the answering circuit checks the signature at):
 * --nonce; else the tree a replica rebuilds (--from); else the newest receipt `zkclear
 * account` kept. Also checks that the key owns the account where it can.
 */
async function nonceOf(
  o: ForceOptions,
  c: EscapeChain,
  out: Output,
  account: bigint,
  keys: KeyPair,
): Promise<{ nonce: bigint; source: string }> {
  if (o.nonce !== undefined) return { nonce: bigintArg("nonce", o.nonce), source: "--nonce" };
  const owner = (x: bigint, y: bigint, where: string) => {
    if (x !== keys.publicKey.x || y !== keys.publicKey.y)
      throw new CliError(
        "KEYSTORE_MISMATCH",
        `${where}: account ${account} belongs to another key than ${o.key}`,
      );
  };
  if (o.from) {
    const t = await replicaTree(c, o.from, o.params, out);
    if (!t.state.hasAccount(account))
      throw new CliError("NONCE_UNKNOWN", `account ${account} is not in the replica's tree`);
    const a = t.state.getAccount(account);
    owner(a.pubKey.x, a.pubKey.y, t.describe);
    return { nonce: a.withdrawNonce, source: `replica ${t.describe} (batch ${t.batches})` };
  }
  const file = receiptsFile(receiptsDir(o.receipts), c.deployment, account);
  const newest = readReceipts(file)?.receipts[0];
  if (!newest)
    throw new CliError(
      "NONCE_UNKNOWN",
      `no receipt of account ${account} in ${file}: give --nonce <n> (your withdrawals so far) or --from <replica dir|url>`,
    );
  owner(newest.leaf.pubKey.x, newest.leaf.pubKey.y, file);
  return {
    nonce: newest.leaf.withdrawNonce,
    source: `receipt of ${isoTime(newest.checkedAt)} (if you withdrew since, give --nonce)`,
  };
}

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("force-withdraw")
      .description(
        "put a forced withdrawal on-chain: the operator must answer it before the forced deadline, or anyone may freeze",
      )
      .requiredOption("--key <file>", "keystore (the account's key signs the request)")
      .requiredOption("--account <n>", "your account index")
      .requiredOption("--amount <units>", "collateral units")
      .requiredOption("--to <address>", "recipient address")
      .option("--nonce <n>", "your account's withdrawal nonce (default: from --from or a receipt)")
      .option("--from <dir|url>", "a replica of the published batch files, to read the nonce")
      .option("--params <set>", "parameter set when the replica has no config.json")
      .option(
        "--receipts <dir>",
        "where zkclear account keeps receipts (default ~/.zkclear/receipts)",
      )
      .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)"),
  ).action(async (o: ForceOptions) => {
    const to = address("to", o.to);
    const account = bigintArg("account", o.account);
    const amount = bigintArg("amount", o.amount);
    const keys = loadKey(o.key, o.passphrase);
    const c = await connect(o);
    try {
      const { nonce, source } = await nonceOf(o, c, out(), account, keys);
      let request;
      try {
        request = signForcedRequest(
          { account, amount, recipient: BigInt(to) },
          nonce,
          keys.privateKey,
          c.deployment.domain,
        );
      } catch (e) {
        throw new CliError("BAD_ARGUMENT", (e as Error).message);
      }
      const s = c.settlement;
      const fee = (await s.getFunction("forcedRequestFee")()) as bigint;
      const deadline = (await s.getFunction("forcedDeadline")()) as bigint;
      const args = forceWithdrawArgs(request);
      const ok = await simulate(
        out(),
        () => s.getFunction("forceWithdraw").staticCall(...args, { value: fee }),
        [s.interface],
        explain,
      );
      if (!ok) return;
      const receipt = await (await s.getFunction("forceWithdraw")(...args, { value: fee })).wait();
      const [ev] = eventsOf(s, receipt, "ForcedRequested");
      const time = BigInt((await c.provider.getBlock(receipt.blockNumber))!.timestamp);
      const dueAt = time + deadline;
      report(
        out(),
        {
          queueIndex: ev.index,
          account,
          amount,
          recipient: to,
          nonce,
          nonceSource: source,
          fee,
          requestedAt: time,
          deadline: dueAt,
          tx: receipt.hash,
          gasUsed: receipt.gasUsed,
        },
        `forced withdrawal of ${amount} from account ${account} to ${to} queued at position ${ev.index} (nonce ${nonce} from ${source}; fee ${fee} wei)\n` +
          `the operator must answer it by ${isoTime(dueAt)} (Unix ${dueAt}); if not, anyone may run: zkclear freeze`,
      );
    } finally {
      c.close();
    }
  });
}
