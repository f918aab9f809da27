import assert from "node:assert/strict";
import type { BatchData, BatchRequest } from "../../prover/src/domain/batch.ts";
import { FUNDING_SCALE, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import { checkFundingReplay } from "../../prover/src/audit/funding-checks.ts";
import type { Finding } from "../../prover/src/audit/findings.ts";
import { newProgress } from "../../prover/src/audit/progress.ts";
import { order, SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { fundShortEth, keyOf, MARKS, markets, P } from "../helpers/liquidators.ts";

/**
 * The funding ledger's count of roundings (audit/funding-checks.ts): the insurance fund
 * settles each market it trades on its own, so a trade batch in which it trades two markets
 * keeps two roundings in its one funding record.
 */
describe("audit: the funding ledger counts the fund's roundings per market", function () {
  it("counts one more settlement for a trade batch in which the fund trades two markets", function () {
    // the fund, short 3 ETH at an old index (owed 31.5 since) with 200,000 in ETH's
    // compartment and 1,000,000 in BTC's, buys 1 ETH and sells 1 BTC to account 4
    const s = fundShortEth([1_000_000n, 200_000n]);
    const sm = { markets, domain: SAMPLE_DOMAIN };
    const fund = { index: INSURANCE_ACCOUNT, keys: devOwnerKeys().fund };
    const four = { index: 4n, keys: keyOf(4n) };
    const o = (market: number, price: bigint) => ({
      market,
      nonce: 2n,
      amount: 1n,
      limitPrice: price,
    });
    const req: BatchRequest = {
      kind: "trades",
      trades: [
        {
          buy: order(sm, fund, { ...o(1, MARKS[1]), side: "buy" }),
          sell: order(sm, four, { ...o(1, MARKS[1]), side: "sell" }),
          qty: 1n,
          price: MARKS[1],
          takerIsBuyer: true,
        },
        {
          buy: order(sm, four, { ...o(0, MARKS[0]), side: "buy" }),
          sell: order(sm, fund, { ...o(0, MARKS[0]), side: "sell" }),
          qty: 1n,
          price: MARKS[0],
          takerIsBuyer: true,
        },
      ],
      reduceOnly: 0n,
      marks: MARKS,
      round: 1n,
      fundingIndices: [0n, (21n * FUNDING_SCALE) / 2n],
      margins: oneX(MARKS.length),
    };
    const d: BatchData = applyBatch(s, req, P).data;
    const findings: Finding[] = [];
    const ctx = { p: newProgress(0n, 1, true), find: (x: Finding) => findings.push(x) };
    checkFundingReplay(ctx, 4, d, d);
    assert.deepEqual(findings, []);
    assert.ok("funding" in d && d.funding.some((x) => x.account === INSURANCE_ACCOUNT));
    // every record once, and the fund's second market's rounding
    assert.equal(ctx.p.funding!.settlements, ("funding" in d ? d.funding.length : 0) + 1);
  });
});
