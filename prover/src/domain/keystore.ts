import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { keyPairFromPrivate, type KeyPair } from "./keys.ts";

export class KeystoreError extends ZkClearError<CodeOf<"keystore">> {}

/** A passphrase-encrypted Baby Jubjub key: scrypt (N = 2^15) and AES-256-GCM. */
export interface Keystore {
  readonly version: 1;
  readonly publicKey: { x: string; y: string };
  readonly kdf: { name: "scrypt"; salt: string; N: number; r: number; p: number };
  readonly cipher: { name: "aes-256-gcm"; iv: string; tag: string };
  readonly ciphertext: string;
}

const N = 1 << 15;

function derive(passphrase: string, salt: Buffer, n: number, r: number, p: number): Buffer {
  return scryptSync(passphrase.normalize("NFKC"), salt, 32, { N: n, r, p, maxmem: 256 * n * r });
}

export function encryptKey(keys: KeyPair, passphrase: string): Keystore {
  if (passphrase.length < 8)
    throw new KeystoreError(
      "KEYSTORE_WEAK_PASSPHRASE",
      "use a passphrase of at least 8 characters",
    );
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", derive(passphrase, salt, N, 8, 1), iv);
  const ciphertext = Buffer.concat([c.update(keys.privateKey), c.final()]);
  return {
    version: 1,
    publicKey: { x: keys.publicKey.x.toString(), y: keys.publicKey.y.toString() },
    kdf: { name: "scrypt", salt: salt.toString("hex"), N, r: 8, p: 1 },
    cipher: { name: "aes-256-gcm", iv: iv.toString("hex"), tag: c.getAuthTag().toString("hex") },
    ciphertext: ciphertext.toString("hex"),
  };
}

export function decryptKey(ks: Keystore, passphrase: string): KeyPair {
  if (ks.version !== 1 || ks.kdf?.name !== "scrypt" || ks.cipher?.name !== "aes-256-gcm") {
    throw new KeystoreError(
      "KEYSTORE_FORMAT",
      "not a zkclear keystore (version 1, scrypt, aes-256-gcm)",
    );
  }
  const key = derive(passphrase, Buffer.from(ks.kdf.salt, "hex"), ks.kdf.N, ks.kdf.r, ks.kdf.p);
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(ks.cipher.iv, "hex"));
  d.setAuthTag(Buffer.from(ks.cipher.tag, "hex"));
  let plain: Buffer;
  try {
    plain = Buffer.concat([d.update(Buffer.from(ks.ciphertext, "hex")), d.final()]);
  } catch {
    throw new KeystoreError("KEYSTORE_PASSPHRASE", "wrong passphrase (or a damaged keystore file)");
  }
  const keys = keyPairFromPrivate(new Uint8Array(plain));
  if (
    keys.publicKey.x.toString() !== ks.publicKey.x ||
    keys.publicKey.y.toString() !== ks.publicKey.y
  ) {
    throw new KeystoreError(
      "KEYSTORE_MISMATCH",
      "the decrypted key does not match the stored public key",
    );
  }
  return keys;
}
