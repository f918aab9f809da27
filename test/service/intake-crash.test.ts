// A crash under load loses no acknowledged order: the intake server (the real operator, API
// and SQLite store, in its own process) is killed with SIGKILL while 50 clients post orders;
// every order it acknowledged is in the store, and in the book of the restarted service.
import assert from "node:assert/strict";
import { once } from "node:events";
import { paramSet } from "../../prover/src/domain/params.ts";
import {
  INTAKE_DOMAIN,
  INTAKE_PARAMS,
  intakeMarks,
  orderStream,
} from "../../prover/src/dev/bench/intake-orders.ts";
import {
  driveIntake,
  freshDb,
  startIntakeServer,
  type IntakeServer,
} from "../../prover/src/dev/bench/intake.ts";
import { ROOT } from "../../prover/src/domain/paths.ts";

const STREAMS = 50;

describe("order intake under SIGKILL", function () {
  this.timeout(180_000);
  const servers: IntakeServer[] = [];

  after(async function () {
    for (const s of servers) await s.stop();
  });

  it("keeps every acknowledged order across a crash under load", async function () {
    const p = paramSet(INTAKE_PARAMS);
    const streams = Array.from({ length: STREAMS }, (_, q) =>
      orderStream(q, 20, p.markets, intakeMarks(p.markets), INTAKE_DOMAIN),
    );
    const db = freshDb("zkclear-intake-crash-");
    const first = await startIntakeServer(ROOT, db, 2 * STREAMS);
    servers.push(first);
    const acked: string[] = [];
    // the kill lands at the 300th acknowledgement, while the clients still have 700 orders
    // to send and 50 in flight
    const run = await driveIntake(first.url, streams, 50, 60, (_body, ack) => {
      acked.push((JSON.parse(ack) as { id: string }).id);
      if (acked.length === 300) first.proc.kill("SIGKILL");
    }).catch((e: unknown) => e);
    // the clients see the connections drop: the run ends in an error, not in a full stream
    assert.ok(run instanceof Error, "the clients were cut off by the crash");
    if (first.proc.exitCode === null && first.proc.signalCode === null)
      await once(first.proc, "exit");
    assert.equal(first.proc.signalCode, "SIGKILL");
    assert.ok(acked.length >= 300 && acked.length < 1000, `${acked.length} acknowledged`);

    const second = await startIntakeServer(ROOT, db, 2 * STREAMS);
    servers.push(second);
    for (const id of acked) {
      const r = await fetch(`${second.url}/v1/orders/${id}`);
      assert.equal(r.status, 200, `acknowledged order ${id} is lost after the crash`);
      const o = (await r.json()) as { status: string };
      assert.ok(["open", "filled", "cancelled"].includes(o.status));
    }
    // and the restarted service takes orders again, the next in each account's nonces
    const more = await driveIntake(second.url, [streams[0]!.slice(-1)], 1, 5);
    assert.equal(more.acked, 1, more.firstRefusal);
  });
});
