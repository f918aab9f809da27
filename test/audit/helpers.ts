import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { Auditor, type AuditorOptions, type AuditReport } from "../../prover/src/audit/auditor.ts";
import { loadVerificationKeys } from "../../prover/src/audit/inputs.ts";
import { batchFileSource } from "../../prover/src/audit/sources.ts";
import type { World } from "../../prover/src/dev/onchain.ts";
import { provider } from "../helpers/chain.ts";

export const P = PARAM_SETS.test;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An auditor of a test world's Settlement over the in-process chain. */
export async function auditorOf(
  w: World,
  files: string | undefined,
  extra: Partial<AuditorOptions> = {},
): Promise<Auditor> {
  return Auditor.open({
    provider,
    settlement: w.d.addresses.settlement,
    config: {
      chainId: w.d.chainId,
      settlement: w.d.addresses.settlement,
      paramSet: P,
      markets: w.markets,
      fundFloor: w.deployment.fundFloor,
      owners: w.deployment.owners,
    },
    vkeys: loadVerificationKeys(P),
    files: files === undefined ? undefined : batchFileSource(files),
    ...extra,
  });
}

export async function audit(
  w: World,
  files: string | undefined,
  extra: Partial<AuditorOptions> = {},
): Promise<AuditReport> {
  const a = await auditorOf(w, files, extra);
  await a.catchUp();
  return a.report();
}

/** The findings as "batch:CODE" strings, for compact assertions. */
export function codes(r: AuditReport): string[] {
  return r.findings.map((f) => `${f.batch ?? "-"}:${f.code}`);
}
