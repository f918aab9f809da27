import assert from "node:assert/strict";
import fc from "fast-check";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { settleFundingByMarket, settleFundingInMarket } from "../../prover/src/domain/funding.ts";

/**
 * settleFundingInMarket: the insurance fund's funding in the market it trades, alone
 * (docs/isolation.md, section 1). Its other markets wait, and waiting loses nothing.
 */
const KEY = devKeyPair("funding-domain").publicKey;

const arbFund = fc.integer({ min: 1, max: 4 }).chain((m) =>
  fc.record({
    collateral: fc.bigInt(-(10n ** 9n), 10n ** 12n),
    positions: fc.array(
      fc.record({
        size: fc.bigInt(-(10n ** 6n), 10n ** 6n),
        notional: fc.bigInt(-(10n ** 12n), 10n ** 12n),
        fundingIndex: fc.bigInt(-(2n ** 40n), 2n ** 40n),
      }),
      { minLength: m, maxLength: m },
    ),
    indices: fc.array(fc.bigInt(-(2n ** 40n), 2n ** 40n), { minLength: m, maxLength: m }),
    market: fc.integer({ min: 0, max: m - 1 }),
  }),
);

const fundOf = (x: {
  collateral: bigint;
  positions: { size: bigint; notional: bigint; fundingIndex: bigint }[];
}): Account => ({
  pubKey: KEY,
  collateral: x.collateral,
  withdrawNonce: 0n,
  positions: x.positions.map((p) => ({ ...EMPTY_POSITION, ...p })),
});

describe("the insurance fund's funding in one market (settleFundingInMarket)", function () {
  it("charges the traded market's notional alone; the reserve and the other markets stay", function () {
    fc.assert(
      fc.property(arbFund, (x) => {
        const a = fundOf(x);
        const r = settleFundingInMarket(a, x.indices, x.market);
        assert.equal(r.account.collateral, a.collateral);
        r.account.positions.forEach((p, j) => {
          if (j !== x.market) assert.deepEqual(p, a.positions[j]);
        });
        const p = a.positions[x.market];
        assert.equal(r.owed, p.size * (x.indices[x.market] - p.fundingIndex));
        assert.equal(r.account.positions[x.market].notional, p.notional + r.payment);
        assert.equal(r.account.positions[x.market].fundingIndex, x.indices[x.market]);
      }),
    );
  });

  it("loses nothing by waiting: one market now and every market later is every market now", function () {
    fc.assert(
      fc.property(arbFund, (x) => {
        const a = fundOf(x);
        const now = settleFundingByMarket(a, x.indices).account;
        const first = settleFundingInMarket(a, x.indices, x.market).account;
        const later = settleFundingByMarket(first, x.indices).account;
        assert.deepEqual(later, now);
      }),
    );
  });
});
