/**
 * One operator service for the intake benchmark (scripts/bench-intake.ts) and the intake's
 * crash test, as its own process: `tsx intake-server.ts <root> <db> <accounts> [port]`.
 *
 * It runs the code of the zkclear tree `root` (this one, or a worktree of an earlier commit:
 * every module is imported from there), so the benchmark drives today's and the earlier
 * intake through the same steps: the real operator over a real SQLite store (WAL,
 * synchronous = FULL) behind the real fastify API on a free loopback port. Only the chain and
 * the prover are stand-ins (they accept every batch at once), as in ./restart.ts: the
 * benchmark measures intake, and the deposits that open the accounts need a proven batch.
 * Accounts 3.. hold the keys devKeyPair(`intake-<i>`) with ample collateral; prices are one
 * oracle round. Prints `READY <url>` when it takes orders; an existing store is reopened
 * (the crash test restarts it over the same file).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Round } from "../../domain/ports.ts";
import type { Deposit } from "../../domain/transfers.ts";
import { RigError } from "../processes.ts";
import { standIns } from "./stand-ins.ts";
import { INTAKE_DOMAIN, INTAKE_PARAMS, intakeMarks } from "./intake-orders.ts";

type Mod<T> = Promise<T>;
const [root, db, accountsArg, portArg] = process.argv.slice(2);
if (!root || !db || !accountsArg) {
  console.error("usage: intake-server.ts <root> <db> <accounts> [port]");
  process.exit(2);
}
const from = <T>(file: string): Mod<T> =>
  import(pathToFileURL(path.join(root, "prover/src", file)).href) as Mod<T>;

const { paramSet } = await from<typeof import("../../domain/params.ts")>("domain/params.ts");
const { defaultMarkets } = await from<typeof import("../../domain/market.ts")>("domain/market.ts");
const { devKeyPair } = await from<typeof import("../../domain/keys.ts")>("domain/keys.ts");
const { devOwners } = await from<typeof import("../../domain/owners.ts")>("domain/owners.ts");
const { zeroIndices } = await from<typeof import("../../domain/funding.ts")>("domain/funding.ts");
const { oneX } = await from<typeof import("../../domain/volatility.ts")>("domain/volatility.ts");
const { ExchangeState } = await from<typeof import("../../engine/state.ts")>("engine/state.ts");
const { Store } = await from<typeof import("../../store/store.ts")>("store/store.ts");
const { Operator } = await from<typeof import("../../service/operator.ts")>("service/operator.ts");
const { buildApi } = await from<typeof import("../../service/api.ts")>("service/api.ts");

const p = paramSet(INTAKE_PARAMS);
const markets = defaultMarkets(p.markets);
const n = Number(accountsArg);
const round: Round = {
  roundId: 1n,
  prices: intakeMarks(markets.length),
  fundingIndices: zeroIndices(markets.length),
  margins: oneX(markets.length),
};
const deposits: Deposit[] = Array.from({ length: n }, (_, i) => ({
  account: BigInt(3 + i),
  amount: 10n ** 15n,
  pubKey: devKeyPair(`intake-${i}`).publicKey,
}));
const { chain, prover } = standIns(
  ExchangeState.genesis(p.depth, markets, INTAKE_DOMAIN, devOwners()).root,
  round,
  deposits,
);
const store = new Store(db);
const op = Operator.open({
  params: p,
  markets,
  domain: INTAKE_DOMAIN,
  owners: devOwners(),
  store,
  chain,
  prover,
  log: () => {},
});
// a reopened store has its deposits already; a new one takes a few deposit batches
for (let i = 0; i < 100 && !op.state.hasAccount(BigInt(2 + n)); i++) await op.tick();
if (!op.state.hasAccount(BigInt(2 + n)))
  throw new RigError("RIG_MISMATCH", "the deposits were not credited");
const app = buildApi(op);
const url = await app.listen({ host: "127.0.0.1", port: Number(portArg ?? 0) });
// a polite stop closes the store (and lets --cpu-prof write its profile)
process.once("SIGTERM", () => {
  void app.close().then(() => {
    store.close();
    process.exit(0);
  });
});
console.log(`READY ${url}`);
