import fs from "node:fs";
import type { Command } from "commander";
import { JsonRpcProvider } from "ethers";
import { Auditor } from "../audit/auditor.ts";
import { loadAuditConfig, loadVerificationKeys } from "../audit/inputs.ts";
import { renderHtmlReport } from "../audit/report-html.ts";
import { batchFileSource } from "../audit/sources.ts";
import { batchLine, ProgressLine, renderTerminalReport } from "../audit/terminal.ts";
import { terminateCurve } from "../proving/prover.ts";
import { CliError, EXIT, type Output, deployment, DEFAULT_DEPLOYMENT } from "./common.ts";

interface AuditCliOptions {
  rpc: string;
  settlement?: string;
  deployment: string;
  files?: string;
  params?: string;
  vkeys?: string;
  fromBlock: string;
  checkpoint?: string;
  follow?: boolean;
  interval: string;
  html?: string;
  logChunk: string;
  confirmations: string;
}

function settlementAddress(o: AuditCliOptions): string {
  if (o.settlement) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(o.settlement))
      throw new CliError("BAD_ARGUMENT", `--settlement must be an address, got ${o.settlement}`);
    return o.settlement;
  }
  return deployment(o.deployment).addresses.settlement;
}

function count(name: string, v: string): number {
  if (!/^[0-9]+$/.test(v))
    throw new CliError("BAD_ARGUMENT", `--${name} must be a non-negative integer, got ${v}`);
  return Number(v);
}

export function register(program: Command, out: () => Output): void {
  program
    .command("audit")
    .description(
      "check the whole settlement history: roots, proofs, verifier keys, price bindings, " +
        "published batch files, replay and solvency",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--settlement <address>", "Settlement contract (default: from --deployment)")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option(
      "--files <dir|url>",
      "published batch files: a directory or the operator's /v1/published URL",
    )
    .option("--params <set>", "parameter set when no config.json is published (development)")
    .option(
      "--vkeys <dir>",
      "verification keys <dir>/<circuit>.vkey.json (default: development keys)",
    )
    .option("--from-block <n>", "first block to scan (the deployment's)", "0")
    .option("--checkpoint <file>", "resume from this checkpoint and keep it up to date")
    .option("--follow", "keep auditing new batches as they settle (Ctrl-C stops)")
    .option("--interval <ms>", "how often --follow polls", "2000")
    .option("--html <file>", "also write a self-contained HTML report with charts")
    .option("--log-chunk <blocks>", "blocks per eth_getLogs call", "5000")
    .option(
      "--confirmations <n>",
      "audit only blocks this far below the latest (use ~12 or more on public chains)",
      "0",
    )
    .action(async (o: AuditCliOptions) => {
      const json = out().json;
      const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: false });
      try {
        await provider.getBlockNumber();
      } catch (e) {
        throw new CliError(
          "RPC_UNREACHABLE",
          `cannot reach ${o.rpc}: ${(e as Error).message}`,
          EXIT.refused,
        );
      }
      const settlement = settlementAddress(o);
      const files = o.files ? batchFileSource(o.files) : undefined;
      const chainId = (await provider.getNetwork()).chainId;
      const config = await loadAuditConfig({ files, params: o.params, chainId, settlement });
      const vkeys = loadVerificationKeys(config.paramSet, o.vkeys);
      const progress = new ProgressLine(!json && process.stderr.isTTY);
      let findings = 0;
      let following = false;
      const auditor = await Auditor.open({
        provider,
        settlement,
        config,
        vkeys,
        files,
        fromBlock: count("from-block", o.fromBlock),
        checkpoint: o.checkpoint,
        logChunk: count("log-chunk", o.logChunk),
        confirmations: count("confirmations", o.confirmations),
        fileWaitMs: o.follow ? 30_000 : 0,
        onProgress: (done, total) => progress.update(done, total, findings),
        onBatch: (b, f) => {
          findings += f.length;
          if (following && !json) {
            progress.clear();
            console.log(batchLine(b, f));
          }
        },
      });
      const finish = () => {
        progress.clear();
        const report = auditor.report();
        if (o.html) fs.writeFileSync(o.html, renderHtmlReport(report));
        if (json) console.log(JSON.stringify(report, null, 2));
        else {
          console.log(renderTerminalReport(report));
          if (o.html) console.log(`HTML report: ${o.html}`);
        }
        return report.ok;
      };
      try {
        await auditor.catchUp();
        if (o.follow) {
          following = true;
          progress.clear();
          if (!json) console.log(`following new batches (Ctrl-C stops)…`);
          const stop = new AbortController();
          process.once("SIGINT", () => stop.abort());
          process.once("SIGTERM", () => stop.abort());
          await auditor.follow(stop.signal, count("interval", o.interval));
        }
        const ok = finish();
        process.exitCode = ok ? EXIT.ok : EXIT.refused;
      } finally {
        provider.destroy();
        await terminateCurve();
      }
    });
}
