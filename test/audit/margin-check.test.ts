import assert from "node:assert/strict";
import type { Provider } from "ethers";
import { pricedBinding, type ChainCheckContext } from "../../prover/src/audit/batch-checks.ts";
import type { SettledEvent } from "../../prover/src/audit/batch-replay.ts";
import type { Finding } from "../../prover/src/audit/findings.ts";
import { newProgress } from "../../prover/src/audit/progress.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { marginsWord, type RoundMargins } from "../../prover/src/domain/volatility.ts";
import type { PublishedConfig } from "../../prover/src/engine/batch-file.ts";
import { P } from "./helpers.ts";

/**
 * The auditor's check of a priced batch's round: the margin multipliers the oracle recorded
 * must be those of the volatility rule walked over the rounds. The chain is replaced by a
 * stub answering the oracle's record (the check, not the chain, is under test here; the
 * end-to-end audit against a real oracle is test/service/breakers.test.ts).
 */
describe("audit: margin multipliers against the volatility rule", function () {
  const RULE: RoundMargins = { mult: [25_000n, 10_000n], liqMult: [10_000n, 10_000n] };

  function context(recorded: bigint, margins: RoundMargins | undefined) {
    const findings: Finding[] = [];
    const config: PublishedConfig = {
      chainId: 31337n,
      settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      paramSet: P,
      markets: defaultMarkets(2),
      fundFloor: 0n,
      owners: {} as PublishedConfig["owners"],
    };
    const reads: bigint[] = [];
    const ctx: ChainCheckContext = {
      p: newProgress(0n, 0, false),
      vkeys: {} as ChainCheckContext["vkeys"],
      provider: {} as Provider,
      settlement: config.settlement,
      config,
      domain: 7n,
      // Settlement's price binding of round 5 counts as compared already: no chain read
      bindings: new Map([["5", 0n]]),
      find: (f) => findings.push(f),
      stopReplay: () => {},
      round: async () => ({
        prices: [60_000_00n, 3_000_00n],
        timestamp: 1_000n,
        fundingIndices: [0n, 0n],
        margins,
      }),
      recordedReduceOnly: async () => 0n,
      recordedMargins: async (r) => {
        reads.push(r);
        return recorded;
      },
      postedAt: async () => undefined,
      roundRule: { maxPriceAge: 600n, roundGrace: 180n },
    };
    return { ctx, findings, reads };
  }

  const ev = (batch: number): SettledEvent =>
    ({
      name: "BatchSettled",
      batch,
      kind: 2,
      oldRoot: 1n,
      newRoot: 2n,
      commitment: 0n,
      roundId: 5n,
    }) as SettledEvent;

  it("passes the oracle's record when it is the rule's, and binds the batch to it", async function () {
    const { ctx, findings } = context(marginsWord(RULE), RULE);
    const r = await pricedBinding(ctx, ev(3), "withdrawals", undefined);
    await pricedBinding(ctx, ev(4), "withdrawals", undefined);
    assert.deepEqual(findings, []);
    assert.deepEqual(r.margins, RULE);
  });

  it("finds a record other than the rule's, naming both", async function () {
    const skewed = marginsWord({ ...RULE, liqMult: [25_000n, 10_000n] });
    const { ctx, findings } = context(skewed, RULE);
    await pricedBinding(ctx, ev(3), "withdrawals", undefined);
    assert.equal(findings.length, 1);
    assert.equal(findings[0].code, "BINDING_MISMATCH");
    assert.equal(findings[0].batch, 3);
    assert.match(
      findings[0].message,
      /recorded margin multipliers 2\.50x\/2\.50x, 1\.00x\/1\.00x for round 5; its volatility margin rule over the rounds gives 2\.50x\/1\.00x, 1\.00x\/1\.00x/,
    );
  });

  it("takes the record as it is when the rule was not walked from round 1", async function () {
    const other = { mult: [30_000n, 12_000n], liqMult: [20_000n, 10_000n] };
    const { ctx, findings, reads } = context(marginsWord(other), undefined);
    const r = await pricedBinding(ctx, ev(3), "withdrawals", undefined);
    assert.deepEqual(findings, []);
    assert.deepEqual(reads, [5n]);
    assert.deepEqual(r.margins, other);
  });

  it("finds a record no proof could bind (a multiplier below 1x)", async function () {
    const { ctx, findings } = context(
      marginsWord({ mult: [9_999n, 10_000n], liqMult: [10_000n, 10_000n] }),
      undefined,
    );
    const r = await pricedBinding(ctx, ev(3), "withdrawals", undefined);
    assert.equal(r.binding, undefined);
    assert.equal(findings.length, 1);
    assert.match(
      findings[0].message,
      /cannot be bound to the configuration: a margin multiplier must be 10000\.\.65535 basis points, got 9999/,
    );
  });
});
