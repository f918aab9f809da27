import type { Command } from "commander";
import { bigintArg, CliError, EXIT, type Output } from "./common.ts";
import {
  chainOptions,
  report,
  connect,
  eventsOf,
  isoTime,
  simulate,
  type ChainOptions,
  type Refusal,
} from "./escape-common.ts";

function explain(r: Refusal): { message: string; details?: Record<string, unknown> } | undefined {
  const [index, x] = r.args as [bigint, unknown];
  switch (r.name) {
    case "DeadlineNotReached":
      return {
        message: `deposit ${index} may still be credited: it is reclaimable from ${isoTime(x as bigint)} (Unix ${x}), or at once after a freeze`,
        details: { reclaimableAt: x },
      };
    case "NotDepositor":
      return {
        message: `only the depositor ${x} may reclaim deposit ${index}: give its --eth-key`,
        details: { depositor: x },
      };
    case "AlreadyReclaimed":
      return { message: `deposit ${index} was reclaimed already` };
    case "DepositCredited":
      return {
        message: `deposit ${index} was credited to its account: it leaves by a withdrawal, or by an exit after a freeze`,
      };
    default:
      return undefined;
  }
}

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("reclaim-deposit")
      .description(
        "take back a queued deposit the operator never credited (after the deposit deadline, or at once after a freeze)",
      )
      .requiredOption("--index <n>", "the deposit's queue position (zkclear deposit prints it)"),
  ).action(async (o: ChainOptions & { index: string }) => {
    const index = bigintArg("index", o.index);
    const c = await connect(o);
    try {
      const v = c.vault;
      const logs = await v.queryFilter(v.filters.Deposited(index), c.deployment.block);
      const found = logs.map((l) => v.interface.parseLog(l)).find((e) => e?.name === "Deposited");
      if (!found)
        throw new CliError(
          "DEPOSIT_NOT_FOUND",
          `the Vault has no deposit at queue position ${index}`,
          EXIT.refused,
        );
      const { account, amount, pkX, pkY } = found.args.toObject() as Record<string, bigint>;
      const args = [index, account, amount, pkX, pkY];
      const ok = await simulate(
        out(),
        () => v.getFunction("reclaimDeposit").staticCall(...args),
        [v.interface],
        explain,
      );
      if (!ok) return;
      const receipt = await (await v.getFunction("reclaimDeposit")(...args)).wait();
      const [ev] = eventsOf(v, receipt, "DepositReclaimed");
      report(
        out(),
        {
          index,
          account,
          amount,
          depositor: ev?.depositor ?? (await c.signer.getAddress()),
          tx: receipt.hash,
          gasUsed: receipt.gasUsed,
        },
        `reclaimed deposit ${index}: ${amount} back to ${ev?.depositor ?? "the depositor"} (it was for account ${account})`,
      );
    } finally {
      c.close();
    }
  });
}
