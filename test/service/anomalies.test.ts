import assert from "node:assert/strict";
import { ServiceRig, until } from "../../prover/src/dev/service-rig.ts";

/**
 * Issue 21's anomaly watch through the real service (`zkclear serve` as its own process, a
 * `hardhat node`, real proofs): an oracle round that moves market 0 by 40 % while the
 * signers disagree by 5 % on market 1, and a withdrawal of a quarter of the collateral, are
 * each logged once when they start, counted and flagged on /metrics and listed on the
 * explorer page; the next calm round ends the round's two, logged once, and the outflow
 * stays active within its hour. Nothing is paused.
 */
describe("service: the anomaly watch (real processes)", function () {
  let rig: ServiceRig;

  before(async function () {
    rig = await ServiceRig.start({ traders: 2 });
  });

  after(async function () {
    await rig?.close();
  });

  const text = async (p: string) => (await fetch(`${rig.api}${p}`)).text();
  /** The sample of a labelled metric in Prometheus text. */
  const sample = (m: string, name: string, kind: string, market: string) => {
    const line = new RegExp(`^${name}\\{kind="${kind}",market="${market}"\\} (\\S+)$`, "m").exec(m);
    assert.ok(line, `${name}{kind="${kind}",market="${market}"} is exported`);
    return Number(line[1]);
  };
  /** The explorer's row of an anomaly: its status and peak. */
  const row = (page: string, key: string) => {
    const tr = new RegExp(`<tr data-anomaly="${key}"[\\s\\S]*?</tr>`).exec(page);
    assert.ok(tr, `the explorer lists ${key}`);
    return {
      status: /data-k="status">(\w+)</.exec(tr[0])![1],
      peak: Number(/data-k="peak-bps" data-value="(\d+)"/.exec(tr[0])![1]),
      message: /data-k="message">([^<]*)</.exec(tr[0])![1],
    };
  };
  const lines = (what: RegExp) =>
    rig
      .serviceLog()
      .split("\n")
      .filter((l) => what.test(l));

  it("logs, counts and shows a 40 % jump, a signers' spread and a large outflow, and their end", async function () {
    const [m0, m1] = rig.marks;
    const jumped = [(m0 * 14n) / 10n, m1];
    // signer 1 reports market 1 5 % higher; the median (the round's price) stays m1
    const spread = [jumped, [jumped[0], (m1 * 105n) / 100n], jumped];
    await rig.postRound(jumped, spread);
    const w = await rig.send("POST", "/v1/withdrawals", rig.withdrawal(0, 0n, 500_000_000n));
    assert.equal(w.status, 201, JSON.stringify(w.json));

    const started = /ANOMALY (\w+) \(market (\w+)\) started/;
    await until("three anomalies in the log", async () =>
      lines(started).length >= 3 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 6_000)); // more observations: still logged once
    const log = lines(started);
    assert.equal(log.length, 3, log.join("\n"));
    assert.ok(
      log.some((l) =>
        l.includes(
          `ANOMALY price_jump (market 0) started: market 0: oracle round 2 moved the price from ${m0} to ${jumped[0]} (+40.00 %)`,
        ),
      ),
      log.join("\n"),
    );
    assert.ok(log.some((l) => l.includes("ANOMALY signer_spread (market 1) started")));
    assert.ok(log.some((l) => l.includes("ANOMALY outflow (market all) started")));

    let m = await text("/metrics");
    for (const [kind, market] of [
      ["price_jump", "0"],
      ["signer_spread", "1"],
      ["outflow", "all"],
    ]) {
      assert.equal(sample(m, "zkclear_anomalies_total", kind, market), 1, `${kind} counted`);
      assert.equal(sample(m, "zkclear_anomaly_active", kind, market), 1, `${kind} active`);
    }
    assert.equal(sample(m, "zkclear_anomalies_total", "price_jump", "1"), 0);
    assert.equal(sample(m, "zkclear_anomaly_active", "fund_drop", "all"), 0);

    let page = await text("/explorer");
    assert.match(page, /<section id="anomalies"><h2>Anomalies<\/h2>/);
    assert.deepEqual(
      { ...row(page, "price_jump/0"), message: undefined },
      { status: "active", peak: 4000, message: undefined },
    );
    assert.match(row(page, "price_jump/0").message, /\+40\.00 %/);
    assert.equal(row(page, "signer_spread/1").status, "active");
    assert.equal(row(page, "signer_spread/1").peak, 500);
    assert.equal(row(page, "outflow/all").status, "active");

    // a calm round: the round's two anomalies end, each logged once; the outflow stays
    await rig.postRound(jumped);
    const ended = /ANOMALY (\w+) \(market (\w+)\) ended/;
    await until("two ends in the log", async () => (lines(ended).length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 6_000));
    assert.deepEqual(
      lines(ended)
        .map((l) => ended.exec(l)!.slice(1).join("/"))
        .sort(),
      ["price_jump/0", "signer_spread/1"],
    );
    m = await text("/metrics");
    assert.equal(sample(m, "zkclear_anomaly_active", "price_jump", "0"), 0);
    assert.equal(sample(m, "zkclear_anomalies_total", "price_jump", "0"), 1);
    assert.equal(sample(m, "zkclear_anomaly_active", "outflow", "all"), 1);
    page = await text("/explorer");
    assert.equal(row(page, "price_jump/0").status, "ended");
    assert.equal(row(page, "outflow/all").status, "active");
    // detection only: the service goes on (the withdrawal is paid)
    await rig.settledEverything();
    assert.equal((await rig.get("/health")).status, 200);
  });
});
