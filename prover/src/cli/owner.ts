import type { Command } from "commander";
import { Contract, ZeroHash, id } from "ethers";
import { loadArtifact } from "../chain/artifacts.ts";
import type { PublicKey } from "../domain/account.ts";
import { isUsablePublicKey } from "../domain/babyjub.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { devOwnerRoles, formatPublicKey, type Owners } from "../domain/owners.ts";
import { CliError, type Output } from "./common.ts";
import { ownerKeyArg } from "./deploy.ts";
import {
  chainOptions,
  connect,
  eventsOf,
  isoTime,
  refuse,
  report,
  simulate,
  type ChainOptions,
  type EscapeChain,
} from "./escape-common.ts";

/** The system account each owner role signs for. */
export const OWNER_ACCOUNTS = { fee: FEE_ACCOUNT, fund: INSURANCE_ACCOUNT } as const;
export type OwnerRole = keyof typeof OWNER_ACCOUNTS;

export function roleArg(v: string | undefined): OwnerRole {
  if (v === "fee" || v === "fund") return v;
  throw new CliError("BAD_ARGUMENT", `--role ${v ?? "(missing)"}: write fee or fund`);
}

/**
 * The timelock operation that queues `key` as the role's owner key: Vault.queueOwnerKey
 * called by the governance timelock (Settlement's DEFAULT_ADMIN_ROLE), with a salt naming the
 * role and key unless one is given (a rotation back to an earlier key needs a new salt).
 */
export function rotationCall(
  vault: Contract,
  role: OwnerRole,
  key: PublicKey,
  salt: string | undefined,
) {
  return {
    target: vault.target as string,
    data: vault.interface.encodeFunctionData("queueOwnerKey", [OWNER_ACCOUNTS[role], key.x, key.y]),
    salt: salt ?? id(`zkclear owner rotate ${role} ${formatPublicKey(key)}`),
  };
}

/**
 * An owner key the governance named (OwnerKeyQueued, or OwnerKeyStranded with the queue
 * closed or the exchange frozen: index null), and its state: applied by a proven deposit
 * batch; waiting for one; or stranded (no batch can ever credit it: recorded without a queue
 * entry, queued at or after the first reclaimed position, or not credited when the exchange
 * froze: `frozen`). Before a freeze, a waiting or stranded rotation that is the Vault's
 * latest for its account makes a freeze due at `freezeDueAt` (recorded + forcedDeadline).
 */
export interface QueuedOwnerKey {
  readonly index: bigint | null;
  readonly role: OwnerRole;
  readonly key: PublicKey;
  readonly applied: boolean;
  readonly state: "applied" | "waiting" | "stranded";
  readonly freezeDueAt: bigint | null;
  readonly frozen: boolean;
}

const NO_POSITION = 2n ** 64n - 1n;

/**
 * The owners' keys now: the deployment's genesis owners, each replaced by the last key the
 * governance queued for it (OwnerKeyQueued) that a proven deposit batch credited
 * (queue position < Settlement.depositsProcessed()); the rotations, applied, waiting or
 * stranded behind a closed queue.
 */
export async function ownersOnChain(
  c: EscapeChain,
): Promise<{ owners: Owners; rotations: QueuedOwnerKey[] }> {
  const processed = BigInt(await c.settlement.getFunction("depositsProcessed")());
  const [, closedAt] = (await c.vault.getFunction("depositQueue")()) as bigint[];
  const deadline = BigInt(await c.settlement.getFunction("forcedDeadline")());
  const frozen = Boolean(await c.settlement.getFunction("frozen")());
  const latest = new Map<bigint, { time: bigint; position: bigint; x: bigint }>();
  for (const account of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
    const [x, , , time, position] = (await c.vault.getFunction("ownerRotation")(
      account,
    )) as bigint[];
    if (time !== 0n) latest.set(account, { time, position, x });
  }
  const from = c.deployment.block;
  const logs = [
    ...(await c.vault.queryFilter(c.vault.filters.OwnerKeyQueued(), from)),
    ...(await c.vault.queryFilter(c.vault.filters.OwnerKeyStranded(), from)),
  ].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const rotations = logs
    .map((l) => c.vault.interface.parseLog(l)!)
    .map((e): QueuedOwnerKey => {
      const account = BigInt(e.args.account);
      const index = e.name === "OwnerKeyQueued" ? BigInt(e.args.index) : null;
      const applied = index !== null && index < processed;
      const stranded = frozen || index === null || index >= closedAt;
      const l = latest.get(account);
      const isLatest =
        l !== undefined && l.position === (index ?? NO_POSITION) && l.x === BigInt(e.args.pkX);
      return {
        index,
        role: account === FEE_ACCOUNT ? "fee" : "fund",
        key: { x: BigInt(e.args.pkX), y: BigInt(e.args.pkY) },
        applied,
        state: applied ? "applied" : stranded ? "stranded" : "waiting",
        freezeDueAt: !applied && isLatest && !frozen ? l.time + deadline : null,
        frozen,
      };
    });
  const owners = { ...c.deployment.owners };
  for (const r of rotations) if (r.applied) owners[r.role] = r.key;
  return { owners, rotations };
}

/** How `owner show` words a rotation's state. */
function rotationLine(r: QueuedOwnerKey): string {
  const where =
    r.index === null ? "recorded without a queue entry" : `at queue position ${r.index}`;
  const due = r.freezeDueAt !== null ? `; makes a freeze due from ${isoTime(r.freezeDueAt)}` : "";
  const state =
    r.state === "applied"
      ? "applied"
      : r.state === "waiting"
        ? `waiting for a deposit batch${due}`
        : r.frozen
          ? "stranded: the exchange is frozen, no batch can credit it; if the latest, this key signs the account's exit"
          : `stranded: the deposit queue is closed (a deposit was reclaimed), no batch can credit it${due}; after the freeze this key signs the account's exit`;
  return `rotation ${where}: ${r.role} -> ${formatPublicKey(r.key)} (${state})`;
}

interface RotateOptions extends ChainOptions {
  role?: string;
  key?: string;
  salt?: string;
  execute?: boolean;
}

async function rotate(out: Output, o: RotateOptions): Promise<void> {
  const role = roleArg(o.role);
  if (!o.key) throw new CliError("BAD_ARGUMENT", "--key: give the new owner's key");
  const key = ownerKeyArg("key", o.key);
  if (!isUsablePublicKey(key))
    throw new CliError(
      "OWNER_BAD_KEY",
      `--key ${o.key}: not a usable Baby Jubjub point (on the curve, x ≠ 0, not of small order)`,
    );
  const c = await connect(o);
  try {
    const timelock = new Contract(
      c.deployment.roles.timelock,
      loadArtifact("Timelock").abi,
      c.signer,
    );
    const call = rotationCall(c.vault, role, key, o.salt);
    const args = [call.target, 0n, call.data, ZeroHash, call.salt] as const;
    const opId = (await timelock.getFunction("hashOperation")(...args)) as string;
    const ifaces = [timelock.interface, c.vault.interface];
    if (!o.execute) {
      const delay = (await timelock.getFunction("getMinDelay")()) as bigint;
      const ok = await simulate(
        out,
        () => timelock.getFunction("schedule").staticCall(...args, delay),
        ifaces,
        (r) =>
          r.name === "AccessControlUnauthorizedAccount"
            ? {
                message: `${String(r.args[0])} may not schedule on the governance timelock ${c.deployment.roles.timelock}: use the owner's key (--eth-key)`,
              }
            : r.name === "TimelockUnexpectedOperationState"
              ? {
                  message: `operation ${opId} is already scheduled or done: --execute it, or give another --salt`,
                }
              : undefined,
      );
      if (!ok) return;
      const receipt = await (await timelock.getFunction("schedule")(...args, delay)).wait();
      const readyAt = (await timelock.getFunction("getTimestamp")(opId)) as bigint;
      report(
        out,
        { scheduled: true, operation: opId, role, key, readyAt, salt: call.salt, tx: receipt.hash },
        `scheduled the ${role} owner's new key ${formatPublicKey(key)} on the governance timelock: operation ${opId}\n` +
          `executable from ${isoTime(readyAt)} (Unix ${readyAt}, after the ${delay} s delay): zkclear owner rotate --role ${role} --key ${o.key} --execute` +
          (o.salt ? ` --salt ${o.salt}` : ""),
      );
      return;
    }
    const readyAt = (await timelock.getFunction("getTimestamp")(opId)) as bigint;
    if (!(await timelock.getFunction("isOperationReady")(opId))) {
      const done = await timelock.getFunction("isOperationDone")(opId);
      refuse(
        out,
        "CHAIN_REFUSED",
        readyAt === 0n
          ? `operation ${opId} is not scheduled: run the command without --execute first`
          : done
            ? `operation ${opId} was already executed`
            : `operation ${opId} is not ready: executable from ${isoTime(readyAt)} (Unix ${readyAt})`,
        { operation: opId, readyAt },
      );
      return;
    }
    const ok = await simulate(
      out,
      () => timelock.getFunction("execute").staticCall(...args),
      ifaces,
      (r) =>
        r.name === "NotGovernance"
          ? {
              message: `the timelock ${String(r.args[0])} does not hold Settlement's admin role: this deployment's governance is elsewhere`,
            }
          : r.name === "ExchangeFrozen"
            ? {
                message: `the exchange is frozen and its system exits are open (2 exit windows after the freeze): the ${role} owner's key can no longer change`,
              }
            : undefined,
    );
    if (!ok) return;
    const receipt = await (await timelock.getFunction("execute")(...args)).wait();
    const [ev] = eventsOf(c.vault, receipt, "OwnerKeyQueued");
    if (!ev) {
      // recorded without a queue entry: after a freeze (the new key signs the exit), or
      // behind a queue a reclaim closed (a freeze is due forcedDeadline after it)
      const frozen = Boolean(await c.settlement.getFunction("frozen")());
      const due = frozen
        ? null
        : BigInt((await receipt.getBlock()).timestamp) +
          BigInt(await c.settlement.getFunction("forcedDeadline")());
      const why =
        due === null
          ? `the exchange is frozen. The new key signs the account's exit (zkclear exit --key <new key>); it can no longer change once the system exits open`
          : `the deposit queue is closed (a deposit was reclaimed), so no batch can credit it. ` +
            `Anyone may freeze the exchange from ${isoTime(due)}; the new key then signs the account's exit (zkclear exit --key <new key>)`;
      report(
        out,
        {
          executed: true,
          operation: opId,
          role,
          key,
          queueIndex: null,
          stranded: true,
          freezeDueAt: due,
          tx: receipt.hash,
        },
        `recorded the ${role} owner's new key ${formatPublicKey(key)} WITHOUT a queue entry: ${why}`,
      );
      return;
    }
    report(
      out,
      { executed: true, operation: opId, role, key, queueIndex: ev.index, tx: receipt.hash },
      `queued the ${role} owner's new key ${formatPublicKey(key)} at deposit queue position ${String(ev.index)}: ` +
        `it replaces the old key once the operator's next deposit batch credits that position (zkclear owner show); ` +
        `uncredited, it makes a freeze due after the forced deadline`,
    );
  } finally {
    c.close();
  }
}

async function show(out: Output, o: ChainOptions): Promise<void> {
  const c = await connect(o);
  try {
    const { owners, rotations } = await ownersOnChain(c);
    const insecure = devOwnerRoles(owners);
    report(
      out,
      { owners, insecure, rotations },
      [
        ...(["fee", "fund"] as const).map(
          (r) =>
            `${r} owner (account ${OWNER_ACCOUNTS[r]}): ${formatPublicKey(owners[r])}${insecure.includes(r) ? " (INSECURE development key)" : ""}`,
        ),
        ...rotations.map(rotationLine),
      ].join("\n"),
    );
  } finally {
    c.close();
  }
}

export function register(program: Command, out: () => Output): void {
  const owner = program
    .command("owner")
    .description("the fee account's and the insurance fund's owner keys");
  chainOptions(
    owner
      .command("rotate")
      .description(
        "schedule a new owner key through the governance timelock (the sender must be its proposer); with --execute, once the delay has passed, queue it in the Vault",
      )
      .requiredOption("--role <role>", "fee or fund")
      .requiredOption(
        "--key <pubkey>",
        'the new owner\'s Baby Jubjub public key "x,y" as keygen prints it, or its keystore file',
      )
      .option("--salt <bytes32>", "timelock salt (default: derived from role and key)")
      .option("--execute", "execute the scheduled rotation (after the timelock's delay)"),
  ).action((o: RotateOptions) => rotate(out(), o));
  chainOptions(
    owner
      .command("show")
      .description("the owner keys now (genesis, then the rotations proven batches applied)"),
  ).action((o: ChainOptions) => show(out(), o));
}
