import fs from "node:fs";
import type { Command } from "commander";
import { keyFiles } from "../proving/paths.ts";
import { readVerificationKey, terminateCurve, verify } from "../proving/prover.ts";
import type { Groth16Proof } from "snarkjs";
import {
  api,
  CliError,
  EXIT,
  print,
  spin,
  type Output,
  deployment,
  DEFAULT_DEPLOYMENT,
} from "./common.ts";

const CIRCUIT = {
  trades: "settle_trades",
  deposits: "apply_deposits",
  withdrawals: "process_withdrawals",
  liquidations: "liquidate_batch",
} as const;

export function register(program: Command, out: () => Output): void {
  program
    .command("verify-batch <n>")
    .description("fetch a settled batch from the operator and verify its proof locally")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--vkey <file>", "verification key (default: the set's development key)")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .action(async (n: string, o: { deployment: string; vkey?: string; api: string }) => {
      const b = await api(o.api, "GET", `/v1/batches/${encodeURIComponent(n)}`);
      const kind = b.kind as keyof typeof CIRCUIT;
      const proof = b.proof as { proof: Groth16Proof; publicSignals: string[] } | null;
      if (!proof)
        throw new CliError("NOT_PROVED", `batch ${n} is ${b.status}: no proof yet`, EXIT.refused);
      if (
        proof.publicSignals[0] !== String(b.oldRoot) ||
        proof.publicSignals[1] !== String(b.newRoot)
      ) {
        throw new CliError(
          "ROOTS_MISMATCH",
          `batch ${n}'s proof is for other roots than the batch claims`,
          EXIT.refused,
        );
      }
      const vkeyFile = o.vkey ?? keyFiles(CIRCUIT[kind], deployment(o.deployment).paramSet).devVkey;
      if (!fs.existsSync(vkeyFile))
        throw new CliError("NO_VKEY", `no verification key at ${vkeyFile}; pass --vkey`);
      const ok = await spin(out(), "verifying", () =>
        verify(readVerificationKey(vkeyFile), proof.publicSignals, proof.proof),
      );
      await terminateCurve();
      print(
        out(),
        { batch: Number(n), kind, status: b.status, valid: ok },
        `batch ${n} (${kind}, ${b.status}): proof ${ok ? "VALID" : "INVALID"}`,
      );
      if (!ok) process.exitCode = EXIT.refused;
    });
}
