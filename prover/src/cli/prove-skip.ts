import fs from "node:fs";
import type { Command } from "commander";
import type { VerificationKey } from "snarkjs";
import { toSolidityProof } from "../chain/calldata.ts";
import { CIRCUITS } from "../domain/circuits.ts";
import { skippedDeleveragePublicSignals } from "../domain/skip-inputs.ts";
import { skipProofInput, skippedAccounts } from "../engine/skip-proof.ts";
import { rebuildTree } from "../audit/replica-tree.ts";
import { batchFileSource } from "../audit/sources.ts";
import { circuitFiles } from "../proving/paths.ts";
import { prove, terminateCurve, verify } from "../proving/prover.ts";
import { CliError, EXIT, spin, type Output } from "./common.ts";
import {
  asRefusal,
  chainOptions,
  connect,
  deployedZkey,
  eventsOf,
  report,
  simulate,
  type ChainOptions,
  type Refusal,
} from "./escape-common.ts";

/**
 * `zkclear prove-skip`: anyone's skip proof against a settled liquidation batch whose
 * deleveraging left out an account its ranking had to list (docs/isolation.md section 3).
 * It rebuilds the state the batch was proven from out of a replica's batch files, finds the
 * accounts left out (engine/skip-proof.ts), proves SkippedDeleverage on this machine and
 * sends Settlement.proveSkippedDeleverage, which freezes the exchange.
 */

interface ProveSkipOptions extends ChainOptions {
  batch: string;
  from: string;
  account?: string;
  market?: string;
  params?: string;
  zkey?: string;
  calldata?: boolean;
}

export function explainSkipRefusal(
  r: Refusal,
): { message: string; details?: Record<string, unknown> } | undefined {
  switch (r.name) {
    case "NotALiquidationBatch":
      return { message: `batch ${r.args[0]} is not a settled liquidation batch` };
    case "LiquidationMismatch":
      return {
        message: `the batch file's commitment or prices are not batch ${r.args[0]}'s as Settlement recorded them`,
      };
    case "InvalidSkipProof":
      return {
        message:
          "Settlement refused the proof: the keys are not the deployment's, or the proof is not of this batch",
      };
    case "ExchangeFrozen":
      return { message: "the exchange is frozen already: every account exits (zkclear exit-data)" };
    default:
      return undefined;
  }
}

const count = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(v))
    throw new CliError("BAD_ARGUMENT", `--${name} must be a non-negative integer, got ${v}`);
  return Number(v);
};

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("prove-skip")
      .description(
        "prove that a liquidation batch's deleveraging left out an account its ranking had to list, and send the proof: the exchange freezes (anyone may)",
      )
      .requiredOption("--batch <n>", "the liquidation batch's number")
      .requiredOption("--from <dir|url>", "a replica's batch files (directory or URL)")
      .option("--account <n>", "the account left out (default: the first the replay finds)")
      .option("--market <j>", "its market (with --account)")
      .option("--params <set>", "parameter set, when the replica has no config.json")
      .option("--zkey <file>", "SkippedDeleverage proving key (default: the deployment's)")
      .option("--calldata", "prove, but print the call's calldata instead of sending it"),
  ).action(async (o: ProveSkipOptions) => {
    const batch = count("batch", o.batch)!;
    const account = count("account", o.account);
    const market = count("market", o.market);
    if ((account === undefined) !== (market === undefined))
      throw new CliError("BAD_ARGUMENT", "give --account and --market together, or neither");
    const c = await connect(o);
    try {
      const d = c.deployment;
      const s = c.settlement;
      if (((await s.getFunction("liquidationRecord")(batch)) as string) === `0x${"0".repeat(64)}`)
        throw new CliError(
          "NOT_A_LIQUIDATION_BATCH",
          `batch ${batch} is not a settled liquidation batch on ${d.addresses.settlement}`,
          EXIT.refused,
        );
      const files = batchFileSource(o.from);
      const t = await asRefusal(() =>
        spin(out(), `replaying the batches before batch ${batch}`, () =>
          rebuildTree({
            provider: c.provider,
            settlement: d.addresses.settlement,
            files,
            params: o.params,
            fromBlock: d.block,
            upTo: batch,
          }),
        ),
      );
      const data = t.next;
      if (!data || data.kind !== "liquidations")
        throw new CliError(
          "NOT_A_LIQUIDATION_BATCH",
          `${files.describe} holds no liquidation batch ${batch}`,
          EXIT.refused,
        );
      const p = t.config.paramSet;
      const left = skippedAccounts(t.state, data, p);
      const target =
        account !== undefined ? { account: BigInt(account), market: market! } : left[0];
      if (!target)
        throw new CliError(
          "NOTHING_SKIPPED",
          `batch ${batch}'s deleveraging follows the ranking: nobody was left out, nothing to prove`,
          EXIT.refused,
        );
      const input = await asRefusal(async () =>
        skipProofInput(t.state, data, p, target.account, target.market),
      );
      const wasm = circuitFiles("skipped_deleverage", d.paramSet).wasm;
      if (!fs.existsSync(wasm))
        throw new CliError(
          "CIRCUIT_NOT_BUILT",
          `the SkippedDeleverage witness calculator ${wasm} is missing: npm run build:circuit -- ${d.paramSet.name}`,
        );
      const zkey = deployedZkey(d, "skipped_deleverage", o.zkey);
      const t0 = performance.now();
      const result = await spin(out(), "proving the skip", () =>
        prove(wasm, zkey, CIRCUITS.skipped_deleverage.toSignals(input)),
      );
      const ms = performance.now() - t0;
      const vkey = JSON.parse(
        fs.readFileSync(d.keys.circuits.skipped_deleverage.vkey, "utf8"),
      ) as VerificationKey;
      if (!(await verify(vkey, skippedDeleveragePublicSignals(input), result.proof)))
        throw new CliError(
          "PROOF_MISMATCH",
          "the skip proof does not verify with the deployment's key",
        );
      const args = [
        batch,
        toSolidityProof(result.proof),
        input.dataCommitment,
        input.priceConfigHash,
        target.account,
        target.market,
      ] as const;
      const who = `account ${target.account} in market ${target.market}`;
      if (o.calldata) {
        report(
          out(),
          {
            batch,
            account: target.account,
            market: target.market,
            leftOut: left,
            settlement: d.addresses.settlement,
            calldata: s.interface.encodeFunctionData("proveSkippedDeleverage", args),
            proveMs: Math.round(ms),
          },
          `batch ${batch} left out ${who}; proved in ${(ms / 1000).toFixed(1)} s; anyone may send this call to Settlement ${d.addresses.settlement}:\n${s.interface.encodeFunctionData("proveSkippedDeleverage", args)}`,
        );
        return;
      }
      const call = s.getFunction("proveSkippedDeleverage");
      if (
        !(await simulate(out(), () => call.staticCall(...args), [s.interface], explainSkipRefusal))
      )
        return;
      const receipt = await (await call(...args)).wait();
      const [ev] = eventsOf(s, receipt, "Frozen");
      report(
        out(),
        {
          frozen: true,
          batch,
          account: target.account,
          market: target.market,
          leftOut: left,
          root: ev.root,
          tx: receipt.hash,
          gasUsed: receipt.gasUsed,
          proveMs: Math.round(ms),
        },
        `batch ${batch} left out ${who}: proven (${(ms / 1000).toFixed(1)} s), the exchange is frozen at root ${ev.root}\n` +
          `every account now exits: zkclear exit-data, then zkclear exit`,
      );
    } finally {
      c.close();
      await terminateCurve();
    }
  });
}
