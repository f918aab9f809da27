import assert from "node:assert/strict";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { MESSAGE_TAGS } from "../../prover/src/domain/messages.ts";
import {
  signTransfer,
  transferMessage,
  validateTransfer,
  verifyTransfer,
  type Transfer,
} from "../../prover/src/domain/sub-accounts.ts";
import { withdrawalMessage } from "../../prover/src/domain/transfers.ts";

const DOMAIN = 77n;
const KEYS = devKeyPair("sub-accounts");
const T: Transfer = { from: 3n, to: 9n, nonce: 4n, amount: 1_000n, isolatedMarket: 1 };

describe("transfers between a key's accounts (the signed message)", function () {
  it("refuses zero, system accounts, a transfer to itself and a market that does not exist", function () {
    const refused = (t: Transfer, code: string, what: RegExp) =>
      assert.throws(
        () => validateTransfer(t, 2),
        (e: unknown) => e instanceof ZkClearError && e.code === code && what.test(e.message),
      );
    refused({ ...T, amount: 0n }, "TRANSFER_ZERO", /positive/);
    refused({ ...T, from: 2n }, "TRANSFER_SYSTEM_ACCOUNT", /source, account 2/);
    refused({ ...T, to: 1n }, "TRANSFER_SYSTEM_ACCOUNT", /destination, account 1/);
    refused({ ...T, to: 3n }, "TRANSFER_SELF", /account 3 cannot transfer to itself/);
    refused({ ...T, isolatedMarket: 2 }, "TRANSFER_BAD_MARKET", /isolated market 2/);
    refused({ ...T, amount: 1n << 92n }, "VALUE_OUT_OF_RANGE", /transfer amount/);
    // the last nonce: the one after it would not fit the leaf (WithdrawalSlot refuses it)
    refused(
      { ...T, nonce: (1n << 32n) - 1n },
      "VALUE_OUT_OF_RANGE",
      /transfer nonce .*2\^32 - 1\)/,
    );
    assert.equal(validateTransfer({ ...T, nonce: (1n << 32n) - 2n }, 2).nonce, (1n << 32n) - 2n);
    assert.equal(validateTransfer({ ...T, isolatedMarket: undefined }, 2).to, 9n);
  });

  it("signs every field, the destination's margin mode included, under its own tag", function () {
    const st = signTransfer(T, 2, KEYS.privateKey, DOMAIN);
    assert.ok(verifyTransfer(st, KEYS.publicKey, DOMAIN));
    assert.equal(MESSAGE_TAGS.transfer, 8n);
    const variants: Transfer[] = [
      { ...T, from: 4n },
      { ...T, to: 10n },
      { ...T, nonce: 5n },
      { ...T, amount: 1_001n },
      { ...T, isolatedMarket: 0 },
      { ...T, isolatedMarket: undefined },
    ];
    for (const v of variants)
      assert.equal(verifyTransfer({ ...st, transfer: v }, KEYS.publicKey, DOMAIN), false);
    assert.equal(verifyTransfer(st, KEYS.publicKey, DOMAIN + 1n), false, "another deployment");
    assert.equal(
      verifyTransfer(st, devKeyPair("someone else").publicKey, DOMAIN),
      false,
      "another key",
    );
    // a withdrawal with the same packed fields is another message
    assert.notEqual(
      transferMessage(T, DOMAIN),
      withdrawalMessage({ account: 3n, nonce: 4n, amount: 1_000n, recipient: 9n }, DOMAIN),
    );
  });
});
