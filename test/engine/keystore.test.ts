import assert from "node:assert/strict";
import { decryptKey, encryptKey, KeystoreError } from "../../prover/src/domain/keystore.ts";
import { generateKeyPair } from "../../prover/src/domain/keys.ts";

describe("keystore", function () {
  it("encrypts a key under a passphrase and gives it back only with that passphrase", function () {
    const k = generateKeyPair();
    const ks = encryptKey(k, "correct horse battery");
    assert.ok(!JSON.stringify(ks).includes(Buffer.from(k.privateKey).toString("hex")));
    assert.deepEqual(decryptKey(ks, "correct horse battery").publicKey, k.publicKey);
    const code = (f: () => unknown) => {
      try {
        f();
        return "accepted";
      } catch (e) {
        assert.ok(e instanceof KeystoreError);
        return e.code;
      }
    };
    assert.equal(
      code(() => decryptKey(ks, "wrong horse battery")),
      "KEYSTORE_PASSPHRASE",
    );
    assert.equal(
      code(() =>
        decryptKey(
          {
            ...ks,
            ciphertext:
              (parseInt(ks.ciphertext.slice(0, 2), 16) ^ 1).toString(16).padStart(2, "0") +
              ks.ciphertext.slice(2),
          },
          "correct horse battery",
        ),
      ),
      "KEYSTORE_PASSPHRASE",
    );
    assert.equal(
      code(() => encryptKey(k, "short")),
      "KEYSTORE_WEAK_PASSPHRASE",
    );
  });
});
