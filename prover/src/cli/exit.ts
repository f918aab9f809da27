import fs from "node:fs";
import type { Command } from "commander";
import { claimOwed, waitingLines } from "./claim.ts";
import { getAddress } from "ethers";
import type { VerificationKey } from "snarkjs";
import { EXIT_STATUS, exitCallArgs } from "../chain/exit.ts";
import { CIRCUITS } from "../domain/circuits.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { signExit } from "../domain/exit.ts";
import { parseExitDataFile, type ExitData } from "../domain/exit-data.ts";
import type { PublicKey } from "../domain/account.ts";
import type { Deployment } from "../domain/deployment.ts";
import { exitAccountPublicSignals, type ExitAccountInput } from "../domain/inputs.ts";
import type { ProofResult } from "../domain/ports.ts";
import { exitInputFromData } from "../engine/exit-data.ts";
import { circuitFiles } from "../proving/paths.ts";
import { prove, terminateCurve, verify } from "../proving/prover.ts";
import { CliError, EXIT, loadKey, spin, type Output } from "./common.ts";
import {
  address,
  report,
  asRefusal,
  chainOptions,
  connect,
  deployedZkey,
  eventsOf,
  isoTime,
  simulate,
  type ChainOptions,
  type EscapeChain,
  type Refusal,
} from "./escape-common.ts";
import { frozenState } from "./exit-data.ts";

/**
 * `zkclear exit`: proves ExitAccount on this machine from exit data (zkclear exit-data) and
 * the account key's signature of the recipient, and sends it to Settlement.exit. Every
 * account signs its exit: a trader with her key, the fee account (1) and the insurance fund
 * (2) with their owners' keys (domain/owners.ts), after the second window, fees first (the
 * fund without the fee account after a third window); when the governance's latest rotation
 * of that owner's key was not credited by the frozen root (Vault.exitSigner), the NEW key's
 * keystore signs instead of the leaf's.
 * Within the exit window a trader's exit is a claim, paid by `zkclear settle-exit` after the
 * window (claim * min(1, pool / claimed)); after the window an exit is paid at once. The
 * Vault then owes the recipient, who claims (done here unless --no-claim).
 */

interface ExitOptions extends ChainOptions {
  key?: string;
  account: string;
  to?: string;
  data?: string;
  settle?: boolean;
  calldata?: boolean;
  zkey?: string;
  claim: boolean;
  passphrase?: string;
}

export function explainExitRefusal(
  r: Refusal,
): { message: string; details?: Record<string, unknown> } | undefined {
  switch (r.name) {
    case "NotFrozen":
      return { message: "the exchange is not frozen: exits start after a freeze" };
    case "AlreadyExited":
      return { message: `account ${r.args[0]} has exited already (once per account)` };
    case "ExitWindowOpen":
      return {
        message: `the exit window is open until ${isoTime(r.args[0] as bigint)}: settle after it`,
        details: { windowEnd: r.args[0] },
      };
    case "SystemExit":
      return {
        message: `account ${r.args[0]} is a system account: it exits only after the second window (2 × exitWindow after the freeze), the fee account (1) before the insurance fund (2)`,
      };
    case "WrongExitSigner":
      return {
        message:
          (r.args[1] as bigint) === 0n
            ? `account ${r.args[0]}'s exit is signed by its leaf's key (no owner key rotation is pending)`
            : `account ${r.args[0]}'s exit is signed by the owner key the governance queued and the frozen root did not credit (Poseidon ${r.args[1]}): give that key's keystore`,
      };
    case "InvalidExitProof":
      return {
        message:
          "Settlement refused the proof: the exit data is not at the frozen root, the marks are not the frozen round's, or the keys are not the deployment's",
      };
    case "NothingToSettle":
      return { message: `account ${r.args[0]} has no claim to settle` };
    default:
      return undefined;
  }
}

/** Whose key signs a system account's exit (its owner's); undefined for a trader. */
function ownerOf(account: bigint): string | undefined {
  if (account === FEE_ACCOUNT) return "the fee owner's key";
  if (account === INSURANCE_ACCOUNT) return "the fund owner's key";
  return undefined;
}

/**
 * The owner key that signs a system account's exit instead of its leaf's: the governance's
 * latest rotation if the frozen root did not credit it (Vault.exitSigner != 0), else null.
 */
async function pendingOwnerKey(c: EscapeChain, account: bigint): Promise<PublicKey | null> {
  if (account !== FEE_ACCOUNT && account !== INSURANCE_ACCOUNT) return null;
  const processed = (await c.settlement.getFunction("depositsProcessed")()) as bigint;
  const hash = (await c.vault.getFunction("exitSigner")(account, processed)) as bigint;
  if (hash === 0n) return null;
  const [x, y] = (await c.vault.getFunction("ownerRotation")(account)) as bigint[];
  return { x, y };
}

/** Proves the exit on this machine and checks the proof with the deployment's key. */
export async function proveExit(
  d: Deployment,
  data: ExitData,
  recipient: string,
  privateKey: Uint8Array,
  zkey: string,
  pending: PublicKey | null = null,
): Promise<{ input: ExitAccountInput; result: ProofResult; ms: number }> {
  const sig = signExit(data.account, BigInt(recipient), privateKey, d.domain);
  const input = exitInputFromData(data, d, BigInt(recipient), sig, pending);
  const wasm = circuitFiles("exit_account", d.paramSet).wasm;
  if (!fs.existsSync(wasm))
    throw new CliError(
      "CIRCUIT_NOT_BUILT",
      `the ExitAccount witness calculator ${wasm} is missing: npm run build:circuit -- ${d.paramSet.name}`,
    );
  const t0 = performance.now();
  const result = await prove(wasm, zkey, CIRCUITS.exit_account.toSignals(input));
  const ms = performance.now() - t0;
  const vkey = JSON.parse(
    fs.readFileSync(d.keys.circuits.exit_account.vkey, "utf8"),
  ) as VerificationKey;
  if (!(await verify(vkey, exitAccountPublicSignals(input), result.proof)))
    throw new CliError(
      "PROOF_MISMATCH",
      "the exit proof does not verify with the deployment's key",
    );
  return { input, result, ms };
}

/**
 * Pays the recipient what the Vault owes it (zkclear claim's claimOwed: at once, and its
 * matured delayed credits); returns what it paid and a note on the delayed credits still
 * waiting (an exit over the Vault's per-window bound waits its delay, as a withdrawal does).
 */
async function claim(c: EscapeChain, recipient: string): Promise<{ paid: bigint; note: string }> {
  const r = await claimOwed(c, recipient);
  const note = r.waiting.length
    ? `; beyond the Vault's bound, waiting:${waitingLines(r.waiting)}\n  then: zkclear claim --to ${recipient}`
    : "";
  return { paid: r.total, note };
}

function outcome(
  c: EscapeChain,
  receipt: Parameters<typeof eventsOf>[1],
): { status: "claimed" | "paid"; payout: bigint; paid: bigint | null } {
  const paid = eventsOf(c.settlement, receipt, "ExitPaid")[0];
  if (paid) return { status: "paid", payout: paid.payout as bigint, paid: paid.paid as bigint };
  const claimed = eventsOf(c.settlement, receipt, "ExitClaimed")[0];
  return { status: "claimed", payout: claimed?.payout as bigint, paid: null };
}

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("exit")
      .description(
        "after a freeze: prove your account's exit on this machine and send it (a claim within the exit window, paid after it)",
      )
      .requiredOption("--account <n>", "account index")
      .option("--to <address>", "recipient of the payout")
      .option("--data <file>", "exit data (zkclear exit-data --out)")
      .option("--settle", "after the window: settle the account's claim instead (as settle-exit)")
      .option(
        "--calldata",
        "prove, but print Settlement.exit's calldata instead of sending it (anyone may send it)",
      )
      .option(
        "--key <file>",
        "keystore of the account's key, which signs the recipient (accounts 1 and 2: the fee or fund owner's key)",
      )
      .option("--zkey <file>", "ExitAccount proving key (default: the deployment's)")
      .option("--no-claim", "leave a payment owed in the Vault (claim it later)")
      .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)"),
  ).action(async (o: ExitOptions) => {
    if (o.settle) return settleExit(o, out());
    if (!o.to || !o.data)
      throw new CliError("BAD_ARGUMENT", "give --to and --data (or --settle after the window)");
    const to = address("to", o.to);
    if (!/^(0|[1-9][0-9]*)$/.test(o.account))
      throw new CliError(
        "BAD_ARGUMENT",
        `--account must be a non-negative integer, got ${o.account}`,
      );
    const account = BigInt(o.account);
    let text: string;
    try {
      text = fs.readFileSync(o.data, "utf8");
    } catch (e) {
      throw new CliError("BAD_ARGUMENT", `cannot read ${o.data}: ${(e as Error).message}`);
    }
    const data = parseExitDataFile(text, o.data);
    if (data.account !== account)
      throw new CliError(
        "BAD_ARGUMENT",
        `${o.data} is account ${data.account}'s, not ${account}'s`,
      );
    const whose = ownerOf(account);
    if (!o.key)
      throw new CliError(
        "BAD_ARGUMENT",
        `account ${account}'s exit is signed by ${whose ?? "its key"}: give --key`,
      );
    const keys = loadKey(o.key, o.passphrase);
    const c = await connect(o);
    try {
      // a rotation the frozen root did not credit: the governed key signs, not the leaf's
      const pending = await pendingOwnerKey(c, account);
      const signing = pending ?? data.leaf.pubKey;
      if (keys.publicKey.x !== signing.x || keys.publicKey.y !== signing.y)
        throw new CliError(
          "KEYSTORE_MISMATCH",
          pending
            ? `${o.key} is not the owner key the governance queued for account ${account} (${pending.x},${pending.y}): the frozen root did not credit that rotation, so its key signs the exit`
            : `${o.key} is not account ${account}'s key${whose ? ` (${whose}, in its leaf)` : ""}`,
        );
      const d = c.deployment;
      if (data.chainId !== d.chainId || data.settlement !== getAddress(d.addresses.settlement))
        throw new CliError(
          "EXIT_DATA_MISMATCH",
          `${o.data} is for chain ${data.chainId} / ${data.settlement}, the deployment is ${d.chainId} / ${d.addresses.settlement}`,
        );
      const freeze = await frozenState(c);
      if (data.root !== freeze.root || data.roundId !== freeze.roundId)
        throw new CliError(
          "ROOTS_MISMATCH",
          `${o.data} is at root ${data.root} (round ${data.roundId}), the freeze at root ${freeze.root} (round ${freeze.roundId}): make it again with zkclear exit-data`,
          EXIT.refused,
        );
      const s = c.settlement;
      const [status] = (await s.getFunction("exitOf")(account)) as [bigint];
      if (status !== 0n)
        throw new CliError(
          "CHAIN_REFUSED",
          `account ${account} has exited already (${EXIT_STATUS[Number(status)]})${status === 1n ? ": zkclear settle-exit after the window" : ""}`,
          EXIT.refused,
        );
      const zkey = deployedZkey(d, "exit_account", o.zkey);
      const { input, result, ms } = await asRefusal(() =>
        spin(out(), "proving the exit", () =>
          proveExit(d, data, to, keys.privateKey, zkey, pending),
        ),
      );
      const args = exitCallArgs(input, result.proof);
      if (o.calldata) {
        report(
          out(),
          {
            account,
            recipient: to,
            payout: data.payout,
            settlement: d.addresses.settlement,
            calldata: s.interface.encodeFunctionData("exit", args),
            proveMs: Math.round(ms),
          },
          `account ${account}'s exit (payout ${data.payout} to ${to}), proved in ${(ms / 1000).toFixed(1)} s; anyone may send this call to Settlement ${d.addresses.settlement}${whose ? " after the second window (the fee account's first)" : ""}:\n${s.interface.encodeFunctionData("exit", args)}`,
        );
        return;
      }
      const ok = await simulate(
        out(),
        () => s.getFunction("exit").staticCall(...args),
        [s.interface],
        explainExitRefusal,
      );
      if (!ok) return;
      const receipt = await (await s.getFunction("exit")(...args)).wait();
      const r = outcome(c, receipt);
      const cl = r.status === "paid" && o.claim ? await claim(c, to) : { paid: 0n, note: "" };
      const claimed = cl.paid;
      const [, , , windowEnd] = (await s.getFunction("exitInfo")()) as bigint[];
      report(
        out(),
        {
          account,
          recipient: to,
          payout: data.payout,
          status: r.status,
          paid: r.paid,
          claimedFromVault: claimed,
          windowEnd,
          proveMs: Math.round(ms),
          witnessMs: Math.round(result.witnessMs),
          engine: result.engine,
          tx: receipt.hash,
          gasUsed: receipt.gasUsed,
        },
        r.status === "paid"
          ? `account ${account} exited: payout ${data.payout}, paid ${r.paid} to ${to}${claimed ? ` (claimed ${claimed} from the Vault)` : " (owed in the Vault: claim it)"}; proved in ${(ms / 1000).toFixed(1)} s${cl.note}`
          : `account ${account} exited: payout ${data.payout} claimed for ${to}; paid after the window ends ${isoTime(windowEnd)} by: zkclear settle-exit --account ${account}; proved in ${(ms / 1000).toFixed(1)} s`,
      );
    } finally {
      c.close();
      await terminateCurve();
    }
  });

  chainOptions(
    program
      .command("settle-exit")
      .description(
        "after the exit window: pay an exit claimed within it (its share of the pool) and claim it from the Vault",
      )
      .requiredOption("--account <n>", "account index")
      .option("--no-claim", "leave the payment owed in the Vault"),
  ).action((o: ChainOptions & { account: string; claim: boolean }) => settleExit(o, out()));
}

/** settleExit(account) after the window, then the Vault's claimFor its recipient. */
async function settleExit(
  o: ChainOptions & { account: string; claim: boolean },
  out: Output,
): Promise<void> {
  if (!/^(0|[1-9][0-9]*)$/.test(o.account))
    throw new CliError(
      "BAD_ARGUMENT",
      `--account must be a non-negative integer, got ${o.account}`,
    );
  const account = BigInt(o.account);
  const c = await connect(o);
  try {
    const s = c.settlement;
    const ok = await simulate(
      out,
      () => s.getFunction("settleExit").staticCall(account),
      [s.interface],
      explainExitRefusal,
    );
    if (!ok) return;
    const receipt = await (await s.getFunction("settleExit")(account)).wait();
    const [ev] = eventsOf(s, receipt, "ExitPaid");
    const recipient = ev.recipient as string;
    const cl = o.claim ? await claim(c, recipient) : { paid: 0n, note: "" };
    const claimed = cl.paid;
    report(
      out,
      {
        account,
        recipient,
        payout: ev.payout,
        paid: ev.paid,
        claimedFromVault: claimed,
        tx: receipt.hash,
        gasUsed: receipt.gasUsed,
      },
      `account ${account}'s exit settled: claimed ${ev.payout}, paid ${ev.paid} to ${recipient}${claimed ? ` (claimed ${claimed} from the Vault)` : ""}${cl.note}`,
    );
  } finally {
    c.close();
  }
}
