import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import fc from "fast-check";
import {
  leafHash,
  newAccount,
  packBalance,
  packPositionWord,
  unpackBalance,
  unpackPositionWord,
} from "../../prover/src/domain/account.ts";
import { encodeSigned } from "../../prover/src/domain/amounts.ts";
import { devKeyPair, generateKeyPair, sign, verify } from "../../prover/src/domain/keys.ts";
import {
  orderMessage,
  signedOrderMessage,
  signOrder,
  validateOrder,
  verifyOrder,
  type Order,
} from "../../prover/src/domain/order.ts";
import {
  configHash,
  defaultMarkets,
  priceConfigHash,
  validateMarkets,
  type MarketParams,
} from "../../prover/src/domain/market.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { deploymentDomain } from "../../prover/src/domain/messages.ts";

const u = (bits: number) => fc.bigInt(0n, (1n << BigInt(bits)) - 1n);

/** The sample deployment's bound configuration with these markets and no fund floor. */
const cfg = (markets: readonly MarketParams[]) => ({
  markets,
  fundFloor: 0n,
  domain: SAMPLE_DOMAIN,
});

describe("domain values", function () {
  it("packs and unpacks position words losslessly (property)", function () {
    fc.assert(
      fc.property(
        fc.bigInt(-(1n << 64n), (1n << 64n) - 1n),
        u(32),
        u(64),
        fc.bigInt(-(1n << 128n), (1n << 128n) - 1n),
        fc.bigInt(-(1n << 63n), (1n << 63n) - 1n),
        (size, nonce, filled, notional, fundingIndex) => {
          const p = { size, nonce, filled, notional, fundingIndex };
          assert.deepEqual(unpackPositionWord(packPositionWord(p), encodeSigned(notional)), p);
          assert.ok(packPositionWord(p) < 1n << 225n);
        },
      ),
    );
  });

  it("packs and unpacks balance words losslessly, the isolation flag included (property)", function () {
    fc.assert(
      fc.property(
        fc.bigInt(-(1n << 128n), (1n << 128n) - 1n),
        u(32),
        u(3),
        (collateral, withdrawNonce, flag) => {
          const b = packBalance(collateral, withdrawNonce, flag);
          assert.ok(b >= 0n && b < 1n << 164n);
          assert.deepEqual(unpackBalance(b), { collateral, withdrawNonce, flag });
        },
      ),
    );
  });

  it("packs an order into 221 bits, one field per slot (property)", function () {
    fc.assert(
      fc.property(
        u(32),
        fc.nat(5),
        fc.boolean(),
        u(32),
        u(16),
        u(64),
        u(64),
        (account, market, sell, nonce, maxFeeBps, amount, limitPrice) => {
          const o: Order = {
            account,
            market,
            side: sell ? "sell" : "buy",
            nonce,
            maxFeeBps,
            amount,
            limitPrice,
          };
          const m = orderMessage(o);
          assert.ok(m < 1n << 221n);
          assert.equal(m >> 157n, limitPrice);
          assert.equal((m >> 45n) & 0xffffffffn, nonce);
          assert.equal(m & 0xfn, 1n);
        },
      ),
    );
  });

  it("signs and verifies orders; another key or order does not verify", function () {
    const k = generateKeyPair();
    const o: Order = {
      account: 3n,
      market: 0,
      side: "buy",
      nonce: 1n,
      maxFeeBps: 10n,
      amount: 5n,
      limitPrice: 100n,
    };
    const so = signOrder(o, k.privateKey, 2, SAMPLE_DOMAIN);
    assert.ok(verifyOrder(so, k.publicKey, SAMPLE_DOMAIN));
    assert.ok(!verifyOrder(so, devKeyPair("other").publicKey, SAMPLE_DOMAIN));
    // an order signed for one deployment is not valid on another
    assert.ok(!verifyOrder(so, k.publicKey, deploymentDomain(31337n, 2n)));
    assert.ok(
      !verify(k.publicKey, signedOrderMessage({ ...o, amount: 6n }, SAMPLE_DOMAIN), so.signature),
    );
    assert.ok(verify(k.publicKey, 42n, sign(k.privateKey, 42n)));
  });

  it("refuses malformed orders and markets with typed errors", function () {
    const o: Order = {
      account: 3n,
      market: 0,
      side: "buy",
      nonce: 1n,
      maxFeeBps: 10n,
      amount: 5n,
      limitPrice: 100n,
    };
    const code = (f: () => unknown) => {
      try {
        f();
        return "accepted";
      } catch (e) {
        assert.ok(e instanceof ZkClearError);
        return e.code;
      }
    };
    assert.equal(
      code(() => validateOrder({ ...o, account: 1n }, 2)),
      "ORDER_SYSTEM_ACCOUNT",
    );
    assert.equal(
      code(() => validateOrder({ ...o, market: 2 }, 2)),
      "ORDER_BAD_MARKET",
    );
    assert.equal(
      code(() => validateOrder({ ...o, amount: 1n << 64n }, 2)),
      "VALUE_OUT_OF_RANGE",
    );
    assert.equal(
      code(() => validateOrder({ ...o, nonce: -1n }, 2)),
      "VALUE_OUT_OF_RANGE",
    );
    assert.equal(
      code(() => validateOrder({ ...o, amount: 0n }, 2)),
      "ORDER_ZERO_AMOUNT",
    );
    const [btc] = defaultMarkets(1);
    assert.equal(
      code(() => validateMarkets([{ ...btc, maintenanceMarginBps: 2000n }])),
      "MARKET_MARGINS",
    );
    assert.equal(
      code(() => priceConfigHash(cfg([btc]), [0n], zeroIndices(1), oneX([0n].length))),
      "MARK_ZERO",
    );
    assert.equal(
      code(() => priceConfigHash(cfg([btc]), [1n, 2n], zeroIndices(1), oneX([1n, 2n].length))),
      "MARK_COUNT",
    );
    // one funding index per market, each an int64
    assert.equal(
      code(() => priceConfigHash(cfg([btc]), [1n], zeroIndices(2), oneX([1n].length))),
      "FUNDING_INDEX_COUNT",
    );
    assert.equal(
      code(() => priceConfigHash(cfg([btc]), [1n], [2n ** 63n], oneX([1n].length))),
      "VALUE_OUT_OF_RANGE",
    );
    assert.notEqual(
      priceConfigHash(cfg([btc]), [1n], [-1n], oneX([1n].length)),
      priceConfigHash(cfg([btc]), [1n], [0n], oneX([1n].length)),
    );
  });

  it("binds configuration and prices: any change moves the hashes", function () {
    const ms = defaultMarkets(2);
    const h = priceConfigHash(cfg(ms), [1n, 2n], zeroIndices(2), oneX([1n, 2n].length));
    assert.notEqual(priceConfigHash(cfg(ms), [1n, 3n], zeroIndices(2), oneX([1n, 3n].length)), h);
    assert.notEqual(configHash(cfg([{ ...ms[0], takerFeeBps: 6n }, ms[1]])), configHash(cfg(ms)));
    // and the deployment: the same markets on another chain or contract hash otherwise
    assert.notEqual(
      configHash({ ...cfg(ms), domain: deploymentDomain(1n, 1n) }),
      configHash(cfg(ms)),
    );
    // and the insurance fund's floor (MarketBinding hashes it with the markets)
    assert.notEqual(configHash({ ...cfg(ms), fundFloor: 1n }), configHash(cfg(ms)));
    assert.throws(
      () => configHash({ ...cfg(ms), fundFloor: 1n << 127n }),
      (e: unknown) => e instanceof ZkClearError && e.code === "VALUE_OUT_OF_RANGE",
    );
    const a = newAccount(devKeyPair("x").publicKey, 2, 5n);
    assert.notEqual(leafHash(a), leafHash({ ...a, collateral: 6n }));
  });
});
