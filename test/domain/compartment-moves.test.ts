import assert from "node:assert/strict";
import fc from "fast-check";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { MESSAGE_TAGS } from "../../prover/src/domain/messages.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { withdrawalMessage } from "../../prover/src/domain/transfers.ts";
import { transferMessage } from "../../prover/src/domain/sub-accounts.ts";
import {
  applyCompartmentMove,
  compartmentMoveMessage,
  signCompartmentMove,
  validateCompartmentMove,
  verifyCompartmentMove,
  type CompartmentMove,
} from "../../prover/src/domain/compartment-moves.ts";

const DOMAIN = 91n;
const OWNER = devKeyPair("fund-owner");
const OTHER = devKeyPair("not-the-fund-owner");
const markets = defaultMarkets(2);
const MARKS = [100n, 50n];
const fund = (collateral: bigint, positions: [bigint, bigint][], withdrawNonce = 0n): Account => ({
  pubKey: OWNER.publicKey,
  collateral,
  withdrawNonce,
  positions: positions.map(([size, notional]) => ({ ...EMPTY_POSITION, size, notional })),
});
const M0: CompartmentMove = { market: 0, nonce: 0n, amount: 1_000n, toReserve: false };
const refusal = (code: string, what: RegExp) => (e: unknown) =>
  e instanceof ZkClearError && e.code === code && what.test(e.message);

describe("compartment moves: the fund owner's signed moves between the reserve and a compartment", function () {
  it("has its own tag: a move signs a message no withdrawal or transfer of the same numbers has", function () {
    assert.equal(MESSAGE_TAGS.compartmentMove, 9n);
    assert.equal(new Set(Object.values(MESSAGE_TAGS)).size, Object.values(MESSAGE_TAGS).length);
    const m = compartmentMoveMessage(M0, DOMAIN);
    assert.notEqual(
      m,
      withdrawalMessage({ account: 0n, nonce: 0n, amount: 1_000n, recipient: 0n }, DOMAIN),
    );
    assert.notEqual(m, transferMessage({ from: 0n, to: 0n, nonce: 0n, amount: 1_000n }, DOMAIN));
    // every field and the deployment change the message
    for (const other of [
      { ...M0, market: 1 },
      { ...M0, nonce: 1n },
      { ...M0, amount: 999n },
      { ...M0, toReserve: true },
    ])
      assert.notEqual(compartmentMoveMessage(other, DOMAIN), m);
    assert.notEqual(compartmentMoveMessage(M0, DOMAIN + 1n), m);
  });

  it("verifies with the fund owner's key for its deployment only", function () {
    const signed = signCompartmentMove(M0, 2, OWNER.privateKey, DOMAIN);
    assert.ok(verifyCompartmentMove(signed, OWNER.publicKey, DOMAIN));
    assert.ok(!verifyCompartmentMove(signed, OTHER.publicKey, DOMAIN));
    assert.ok(!verifyCompartmentMove(signed, OWNER.publicKey, DOMAIN + 1n));
    assert.ok(
      !verifyCompartmentMove(
        { ...signed, move: { ...M0, toReserve: true } },
        OWNER.publicKey,
        DOMAIN,
      ),
    );
  });

  it("refuses a market that does not exist, a zero amount and values out of range", function () {
    assert.throws(
      () => validateCompartmentMove({ ...M0, market: 2 }, 2),
      refusal("COMPARTMENT_BAD_MARKET", /market 2 is not one of the 2/),
    );
    assert.throws(
      () => validateCompartmentMove({ ...M0, market: -1 }, 2),
      refusal("COMPARTMENT_BAD_MARKET", /market -1/),
    );
    assert.throws(
      () => validateCompartmentMove({ ...M0, amount: 0n }, 2),
      refusal("COMPARTMENT_MOVE_ZERO", /positive/),
    );
    assert.throws(
      () => validateCompartmentMove({ ...M0, amount: 1n << 92n }, 2),
      refusal("VALUE_OUT_OF_RANGE", /amount/),
    );
    assert.throws(
      () => validateCompartmentMove({ ...M0, nonce: 1n << 32n }, 2),
      refusal("VALUE_OUT_OF_RANGE", /nonce/),
    );
  });

  it("moves capital into a compartment from the reserve, and back above the requirement only", function () {
    const f = fund(5_000n, [
      [0n, 0n],
      [-10n, -500n],
    ]);
    const funded = applyCompartmentMove(f, M0, MARKS, markets);
    assert.equal(funded.collateral, 4_000n);
    assert.equal(funded.withdrawNonce, 1n);
    assert.deepEqual(compartmentValues(funded, MARKS), [1_000n, 0n]);
    // market 1 holds a short of 10 at 50: a maintenance requirement of 10 * 50 * mm / 10^4
    const into1 = applyCompartmentMove(
      funded,
      { market: 1, nonce: 1n, amount: 400n, toReserve: false },
      MARKS,
      markets,
    );
    assert.deepEqual(compartmentValues(into1, MARKS), [1_000n, 400n]);
    const required = (10n * 50n * markets[1].maintenanceMarginBps) / 10_000n;
    const out = (amount: bigint, floor = 0n) =>
      applyCompartmentMove(
        into1,
        { market: 1, nonce: 2n, amount, toReserve: true },
        MARKS,
        markets,
        floor,
      );
    assert.deepEqual(compartmentValues(out(400n - required), MARKS), [1_000n, required]);
    assert.throws(
      () => out(401n - required),
      refusal("COMPARTMENT_BELOW_REQUIREMENT", /market 1's compartment would hold/),
    );
    assert.throws(
      () => out(400n - required, 1n),
      refusal("COMPARTMENT_BELOW_REQUIREMENT", /plus its floor of 1/),
    );
  });

  it("refuses a move out of turn and one the reserve cannot pay", function () {
    const f = fund(
      500n,
      [
        [0n, 0n],
        [0n, 0n],
      ],
      7n,
    );
    assert.throws(
      () => applyCompartmentMove(f, { ...M0, nonce: 6n }, MARKS, markets),
      refusal("COMPARTMENT_MOVE_NONCE", /nonce 6; the fund's next withdrawal nonce is 7/),
    );
    assert.throws(
      () => applyCompartmentMove(f, { ...M0, nonce: 7n }, MARKS, markets),
      refusal("COMPARTMENT_RESERVE_SHORT", /reserve holds 500, less than the 1000/),
    );
  });

  it("never changes the fund's equity, nor another market's compartment (property)", function () {
    fc.assert(
      fc.property(
        fc.bigInt(0n, 10n ** 9n),
        fc.array(fc.tuple(fc.bigInt(-1000n, 1000n), fc.bigInt(-(10n ** 6n), 10n ** 6n)), {
          minLength: 2,
          maxLength: 2,
        }),
        fc.integer({ min: 0, max: 1 }),
        fc.bigInt(1n, 10n ** 6n),
        fc.boolean(),
        (collateral, positions, market, amount, toReserve) => {
          const f = fund(collateral, positions as [bigint, bigint][]);
          let after: Account;
          try {
            after = applyCompartmentMove(
              f,
              { market, nonce: 0n, amount, toReserve },
              MARKS,
              markets,
            );
          } catch (e) {
            assert.ok(
              e instanceof ZkClearError &&
                /COMPARTMENT_(RESERVE_SHORT|BELOW_REQUIREMENT)/.test(e.code),
            );
            return;
          }
          assert.equal(equity(after, MARKS), equity(f, MARKS));
          const [b, a] = [compartmentValues(f, MARKS), compartmentValues(after, MARKS)];
          assert.equal(a[1 - market], b[1 - market]);
          assert.equal(a[market] - b[market], toReserve ? -amount : amount);
        },
      ),
      { numRuns: 300 },
    );
  });
});
