import type { Command } from "commander";
import { type Output } from "./common.ts";
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

/** Why a freeze is refused, and when it becomes possible (NothingOverdue's two times). */
export function explainFreezeRefusal(
  r: Refusal,
): { message: string; details?: Record<string, unknown> } | undefined {
  if (r.name === "ExchangeFrozen")
    return {
      message: `the exchange is already frozen (since ${isoTime(r.args[0] as bigint)}): only exits remain`,
      details: { frozenAt: r.args[0] },
    };
  if (r.name !== "NothingOverdue") return undefined;
  const [forcedDueAt, depositDueAt] = r.args as bigint[];
  const due = [forcedDueAt, depositDueAt].filter((t) => t !== 0n);
  if (!due.length)
    return {
      message:
        "nothing is waiting for the operator: a freeze needs a forced request, a deposit or an owner key rotation left unanswered for the forced deadline",
      details: { forcedDueAt, depositDueAt, freezableAt: null },
    };
  const at = due.reduce((a, b) => (a < b ? a : b));
  const parts = [
    forcedDueAt ? `the oldest unanswered forced request is overdue at ${isoTime(forcedDueAt)}` : "",
    depositDueAt
      ? `the oldest uncredited deposit or owner key rotation is overdue at ${isoTime(depositDueAt)}`
      : "",
  ].filter(Boolean);
  return {
    message: `nothing is overdue yet: ${parts.join("; ")}; a freeze is possible from ${isoTime(at)} (Unix ${at})`,
    details: { forcedDueAt, depositDueAt, freezableAt: at },
  };
}

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("freeze")
      .description(
        "freeze the exchange for good once a forced request or a deposit is overdue (anyone may); then every account exits",
      ),
  ).action(async (o: ChainOptions) => {
    const c = await connect(o);
    try {
      const s = c.settlement;
      const ok = await simulate(
        out(),
        () => s.getFunction("freeze").staticCall(),
        [s.interface],
        explainFreezeRefusal,
      );
      if (!ok) return;
      const receipt = await (await s.getFunction("freeze")()).wait();
      const [ev] = eventsOf(s, receipt, "Frozen");
      const [frozenAt] = (await s.getFunction("freezeInfo")()) as bigint[];
      report(
        out(),
        {
          frozen: true,
          frozenAt,
          root: ev.root,
          batches: ev.batches,
          roundId: ev.roundId,
          tx: receipt.hash,
          gasUsed: receipt.gasUsed,
        },
        `frozen at ${isoTime(frozenAt)} after ${ev.batches} batches, root ${ev.root}, exit prices of oracle round ${ev.roundId}\n` +
          `every account now exits: zkclear exit-data, then zkclear exit`,
      );
    } finally {
      c.close();
    }
  });
}
