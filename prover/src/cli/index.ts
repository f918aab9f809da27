// zkclear: the trader and operator command line. Exit codes: 0 done, 1 refused or
// invalid (by the operator, the chain or a check), 2 bad usage or input.
import { Command, CommanderError } from "commander";
import { ZkClearError } from "../domain/errors.ts";
import { CliError, EXIT, type Output } from "./common.ts";
import * as keygen from "./keygen.ts";
import * as deposit from "./deposit.ts";
import * as order from "./order.ts";
import * as status from "./status.ts";
import * as account from "./account.ts";
import * as withdraw from "./withdraw.ts";
import * as transfer from "./transfer.ts";
import * as claim from "./claim.ts";
import * as verifyBatch from "./verify-batch.ts";
import * as serve from "./serve.ts";
import * as proverWorker from "./prover-worker.ts";
import * as feed from "./feed.ts";
import * as audit from "./audit.ts";
import * as deploy from "./deploy.ts";
import * as forceWithdraw from "./force-withdraw.ts";
import * as freeze from "./freeze.ts";
import * as reclaimDeposit from "./reclaim-deposit.ts";
import * as exitData from "./exit-data.ts";
import * as exit from "./exit.ts";
import * as replica from "./replica.ts";
import * as funding from "./funding.ts";
import * as liquidator from "./liquidator.ts";
import * as owner from "./owner.ts";
import * as fund from "./fund.ts";
import * as proveSkip from "./prove-skip.ts";

const program = new Command("zkclear")
  .description("zkclear: proven settlement of perpetual futures")
  .option("--json", "machine-readable output")
  .exitOverride();
const out = (): Output => ({ json: Boolean(program.opts().json) });
for (const m of [
  deploy,
  keygen,
  deposit,
  order,
  status,
  account,
  withdraw,
  transfer,
  claim,
  verifyBatch,
  feed,
  audit,
  forceWithdraw,
  freeze,
  reclaimDeposit,
  exitData,
  exit,
  replica,
  funding,
  liquidator,
  owner,
  fund,
  proveSkip,
])
  m.register(program, out);
serve.register(program);
proverWorker.register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
  const json = out().json;
  const code = e instanceof ZkClearError ? e.code : "ERROR";
  const message = e instanceof Error ? e.message : String(e);
  if (json) console.log(JSON.stringify({ error: code, message }));
  else console.error(`zkclear: ${message} (${code})`);
  process.exit(
    e instanceof CliError ? e.exitCode : e instanceof ZkClearError ? EXIT.usage : EXIT.refused,
  );
}
