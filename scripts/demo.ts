// The README's first command: npm run demo [-- --params demo|test|bench] [--orders N] [--workers N] [--engine | --offline | --escape]
// --workers N proves through a job queue (PostgreSQL + pg-boss, started here) with N
// `zkclear prover-worker` processes instead of the service's own proving process;
// Runs zkclear end to end: a hardhat node on 127.0.0.1, the operator service, a price
// feeder and traders sending orders through the API, with INSECURE development keys.
// --engine drives the engine directly on an in-process chain (no service);
// --offline proves and verifies one trade batch with snarkjs only, without a chain;
// --escape runs the escape hatch's story (the operator goes dark; a freeze; every trader exits).
import path from "node:path";
import { paramSet } from "../prover/src/domain/params.ts";
import { runDemo } from "../prover/src/dev/demo.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const i = process.argv.indexOf("--params");
const p = paramSet(i > 0 ? process.argv[i + 1] : "demo");
const started = performance.now();
const hex = (x: bigint) => `0x${x.toString(16).padStart(64, "0")}`;
const short = (x: bigint) => `${hex(x).slice(0, 10)}…`;
const log = (s: string) => console.log(`  ${s}`);
let ok = false;
try {
  if (process.argv.includes("--escape")) {
    const { runEscapeDemo } = await import("../prover/src/dev/escape-demo.ts");
    const e = await runEscapeDemo(i > 0 ? p : paramSet("test"), log);
    const rows = e.exits.map(
      (x) =>
        `| ${x.who} | ${x.account} | ${x.payout} | ${x.paid} | ${x.payout - x.paid} | ${x.proveMs.toFixed(0)} |`,
    );
    console.log(`
zkclear escape demo — the operator goes dark; anyone freezes; every account exits with a proof
keys: INSECURE development keys; chain: hardhat node on 127.0.0.1

| trader | account | payout proven | paid | shortfall borne | exit proof ms |
|---|---|---|---|---|---|
${rows.join("\n")}

  pool at the freeze  ${e.pool} (what the Vault held for the account tree)
  system accounts     ${e.system.map((x) => `${x.who} proved ${x.payout}, paid ${x.paid}`).join("; ")} (owner-signed exits to the treasury ${e.treasury})
  reclaimed deposit   ${e.reclaimed} (queued, never credited)
  Vault left          ${e.vaultLeft} (the rules leave ${e.expectedLeft}: ${e.vaultLeft === e.expectedLeft ? "equal" : "DIFFERENT (bug)"})
  data committee      two replicas attested every trade batch; exits used a replica's data
  explorer            ${e.explorer.url}: ${e.explorer.frozen ? "frozen" : "NOT FROZEN (bug)"}, ${e.explorer.exits} exits shown
  audit               ${e.audit.ok ? "PASSED" : `FAILED: ${e.audit.out}`}
  wall time           ${((performance.now() - started) / 1000).toFixed(1)} s`);
    ok = e.audit.ok && e.vaultLeft === e.expectedLeft && e.explorer.frozen && e.explorer.exits > 0;
  } else if (process.argv.includes("--offline")) {
    const r = await runDemo(p, log);
    console.log(`
zkclear offline demo — parameter set "${p.name}" (D=${p.depth}, B=${p.batch}, M=${p.markets})
  constraints         ${r.constraints} (${Math.round(r.constraints / p.batch)} per trade slot)
  old root            ${hex(r.batch.oldRoot)}
  new root            ${hex(r.batch.newRoot)}
  data commitment     ${hex(r.batch.dataCommitment)}
  witness / proof     ${r.witnessMs.toFixed(0)} ms / ${r.proveMs.toFixed(0)} ms
  proof verifies      ${r.verified ? "yes" : "NO"}; tampered root ${r.tamperedRejected ? "rejected" : "ACCEPTED (bug)"}`);
    ok = r.verified && r.tamperedRejected;
  } else if (!process.argv.includes("--engine")) {
    const { runServiceDemo } = await import("../prover/src/dev/service-demo.ts");
    const o = process.argv.indexOf("--orders");
    const w = process.argv.indexOf("--workers");
    const r = await runServiceDemo(p, log, {
      orders: o > 0 ? Number(process.argv[o + 1]) : undefined,
      workers: w > 0 ? Number(process.argv[w + 1]) : undefined,
    });
    const lat = [...r.latenciesMs].sort((a, b) => a - b);
    const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(1);
    const rows = r.rows.map(
      (b) =>
        `| ${b.id} | ${b.kind} | ${b.items} | ${short(b.oldRoot)} | ${short(b.newRoot)} | ${b.proveMs.toFixed(0)} | ${b.gasUsed} |`,
    );
    console.log(`
zkclear demo — parameter set "${p.name}" (D=${p.depth}, B=${p.batch}, M=${p.markets}, K=${p.deposits}, W=${p.withdrawals})
keys: INSECURE development keys (toxic waste known to this machine); chain: hardhat node on 127.0.0.1

| batch | kind | items | old root | new root | prove ms | gas |
|---|---|---|---|---|---|---|
${rows.join("\n")}

  every batch verified on-chain by its Groth16 verifier
  orders sent         ${r.ordersSent} through the API (latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms)
  trades settled      ${r.tradesSettled} in ${r.tradingSeconds.toFixed(1)} s from the first order (${((r.tradesSettled * 60) / r.tradingSeconds).toFixed(1)} trades per minute)
  oracle rounds       ${r.rounds} (a 15% crash of market 0, then the crash day's 40%)
  funding             ${r.funding.ticks.length} ticks, every ${r.funding.interval} s of chain time (moved forward), cap ${r.funding.maxRatePpm} ppm; ${r.funding.seconds.toFixed(1)} s of wall time
${r.funding.ticks.map((t) => `    tick ${t.tick} at round ${t.priceRound}'s prices: rates ${t.ratesPpm.join(", ")} ppm; indices ${t.indices.join(", ")} (from round ${t.fromRound})`).join("\n")}

| account | who | funding paid | funding received |
|---|---|---|---|
${r.funding.byAccount.map((a) => `| ${a.account} | ${a.who} | ${a.paid} | ${a.received} |`).join("\n")}

  liquidation         settled ${r.liquidationSeconds.toFixed(1)} s after the crash round was posted, taken by the liquidator
  liquidator          account ${r.liquidator.account}, offer ${r.liquidator.market} up to ${r.liquidator.maxSize} lots at ${r.liquidator.discountBps} bps (zkclear liquidator offer); took ${r.liquidator.took.map((t) => `${t.size} lot(s) of ${t.market} at ${t.mark}`).join(", ")}
                      share paid ${r.liquidator.share}; equity ${r.liquidator.equityBefore} before the crash, ${r.liquidator.equityAfter} after (at the marks): profit ${r.liquidator.equityAfter - r.liquidator.equityBefore}
  crash day           round ${r.crashDay.roundId}: market ${r.crashDay.market} ${r.crashDay.from} -> ${r.crashDay.to} (-40%) tripped its circuit breaker (reduce-only until ${r.crashDay.until}); an order adding to a long was refused (${r.crashDay.refused.status} MARKET_REDUCE_ONLY); ${r.crashDay.trades[0]} reducing trade(s) in market 0 and ${r.crashDay.trades[1]} in market 1 settled in batch ${r.crashDay.batches.join(", ")}; account ${r.crashDay.deleveraging.bankrupt} went bankrupt: its liquidation (batch ${r.crashDay.deleveraging.batches.join(", ")}) took market 0's compartment from ${r.crashDay.deleveraging.compartments[0][0]} to ${r.crashDay.deleveraging.compartments[1][0]} and deleveraged ${r.crashDay.deleveraging.entries.map((e) => `${e.lots} lot(s) of account ${e.account} at ${e.price}`).join(", ")}; market 1's compartment ${r.crashDay.deleveraging.compartments[0][1]} -> ${r.crashDay.deleveraging.compartments[1][1]}, the reserve ${r.crashDay.deleveraging.reserve[0]} -> ${r.crashDay.deleveraging.reserve[1]}
  fee withdrawal      the fee owner withdrew ${r.feeWithdrawal.amount} in fees to the treasury ${r.feeWithdrawal.treasury} (proven withdrawal batch); the Vault paid it ${r.feeWithdrawal.treasuryBalance}
  roots               ${r.rootsEqual ? "the operator's root equals the contract's" : "DIFFERENT (bug)"}
  audit               ${r.audit.ok ? "PASSED" : `FAILED with ${r.audit.findings} finding(s)`}: ${r.audit.batches} batches replayed and checked in ${r.audit.seconds.toFixed(1)} s (${r.audit.msPerBatch} ms per batch); report ${path.relative(process.cwd(), r.audit.html)}
  wall time           ${((performance.now() - started) / 1000).toFixed(1)} s`);
    ok = r.rootsEqual && r.audit.ok;
  } else {
    // loaded only here: the in-process chain is not needed offline
    const { default: hre } = await import("hardhat");
    const { BrowserProvider } = await import("ethers");
    const { runChainDemo } = await import("../prover/src/dev/chain-demo.ts");
    const provider = new BrowserProvider(hre.network.provider as never);
    const signers = await Promise.all(Array.from({ length: 7 }, (_, k) => provider.getSigner(k)));
    const r = await runChainDemo(p, signers[0], signers.slice(1), log);
    const rows = r.batches.map(
      (b) =>
        `| ${b.number} | ${b.kind} | ${b.items} | ${short(b.oldRoot)} | ${short(b.newRoot)} | ${b.witnessMs.toFixed(0)} | ${b.proveMs.toFixed(0)} | ${b.gasUsed} |`,
    );
    console.log(`
zkclear demo — parameter set "${p.name}" (D=${p.depth}, B=${p.batch}, M=${p.markets}, K=${p.deposits}, W=${p.withdrawals})
keys: INSECURE development keys (toxic waste known to this machine); chain: in-process Hardhat

| batch | kind | items | old root | new root | witness ms | prove ms | gas |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}

  every batch verified on-chain by its Groth16 verifier
  deposits            ${r.world.participants.length} (${r.depositGas} gas in all, on-chain Poseidon included)
  withdrawals paid    ${r.paidOut} units, claimed from the Vault
  engine root         ${hex(r.finalRoot)}
  on-chain root       ${hex(r.onChainRoot)} ${r.finalRoot === r.onChainRoot ? "(equal)" : "(DIFFERENT: bug)"}
  wall time           ${((performance.now() - started) / 1000).toFixed(1)} s`);
    ok = r.finalRoot === r.onChainRoot;
  }
} finally {
  await terminateCurve();
}
process.exit(ok ? 0 : 1);
