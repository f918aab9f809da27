// The auditor's cost: npm run bench:audit [-- --batches 120 --params test]
// Builds a settlement history of real proven batches on the in-process Hardhat chain,
// publishes its batch files, then audits it from genesis (with and without files), again
// from a checkpoint, and renders the HTML report. Prints the figures.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { paramSet } from "../prover/src/domain/params.ts";
import { prepareContracts } from "../prover/src/chain/deploy.ts";
import { buildHistory } from "../prover/src/dev/audit-bench.ts";
import { Auditor, type AuditReport } from "../prover/src/audit/auditor.ts";
import { loadAuditConfig, loadVerificationKeys } from "../prover/src/audit/inputs.ts";
import { batchFileSource } from "../prover/src/audit/sources.ts";
import { renderHtmlReport } from "../prover/src/audit/report-html.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";
import { ARTIFACTS } from "../prover/src/domain/paths.ts";
import { ensureDevKeySet } from "../prover/src/proving/key-sets.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const p = paramSet(arg("params", "test"));
const batches = Number(arg("batches", "120"));
const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);
const log = (s: string) => console.log(`  ${s}`);

try {
  await ensureDevKeySet(p, log);
  await prepareContracts(log);
  const signers = await Promise.all([0, 1, 2, 3, 4].map((i) => provider.getSigner(i)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-audit-bench-"));
  console.log(`building a history of ${batches} batches ("${p.name}", real proofs)…`);
  const h = await buildHistory(p, signers[0], signers.slice(1), batches, dir, log);
  console.log(
    `  ${batches} batches (${Object.entries(h.byKind)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}) in ${h.seconds.toFixed(0)} s`,
  );
  const settlement = h.world.d.addresses.settlement;
  const files = batchFileSource(dir);
  const chainId = h.world.d.chainId;
  const config = await loadAuditConfig({ files, chainId, settlement });
  const vkeys = loadVerificationKeys(config.paramSet);
  const checkpoint = path.join(dir, "audit.checkpoint.json");

  const run = async (label: string, withFiles: boolean, cp?: string): Promise<AuditReport> => {
    const t0 = performance.now();
    const a = await Auditor.open({
      provider,
      settlement,
      config,
      vkeys,
      files: withFiles ? files : undefined,
      checkpoint: cp,
    });
    await a.catchUp();
    const r = a.report();
    const s = (performance.now() - t0) / 1000;
    const per = r.timing.batchesThisRun ? ((s * 1000) / r.timing.batchesThisRun).toFixed(1) : "–";
    console.log(
      `${label.padEnd(44)} ${s.toFixed(2).padStart(7)} s  ${String(r.timing.batchesThisRun).padStart(4)} batches  ${per.padStart(6)} ms/batch  ${r.ok ? "PASS" : `FAIL (${r.findings.length})`}`,
    );
    console.log(
      `${"".padEnd(44)} phases ms: ${Object.entries(r.timing.phasesMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    return r;
  };

  console.log(`\naudit of ${batches} batches (2 cores, in-process Hardhat chain)`);
  const full = await run("from genesis, files + replay + solvency", true, checkpoint);
  await run("from genesis, chain and proofs only", false);
  await run("resumed from the checkpoint, nothing new", true, checkpoint);
  const t0 = performance.now();
  const html = renderHtmlReport(full);
  const out = path.join(ARTIFACTS, "audit-bench-report.html");
  fs.writeFileSync(out, html);
  console.log(
    `HTML report: ${(html.length / 1024).toFixed(0)} KiB in ${(performance.now() - t0).toFixed(0)} ms (${path.relative(process.cwd(), out)})`,
  );
  if (!full.ok) process.exitCode = 1;
} finally {
  await terminateCurve();
}
process.exit(process.exitCode ?? 0);
