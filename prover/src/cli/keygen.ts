import fs from "node:fs";
import type { Command } from "commander";
import { encryptKey } from "../domain/keystore.ts";
import { generateKeyPair } from "../domain/keys.ts";
import { CliError, passphrase, print, type Output } from "./common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("keygen")
    .description("make a Baby Jubjub trading key in a passphrase-encrypted keystore file")
    .requiredOption("--out <file>", "keystore file to write")
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .action((o: { out: string; passphrase?: string }) => {
      if (fs.existsSync(o.out))
        throw new CliError("FILE_EXISTS", `${o.out} exists; refusing to overwrite a key`);
      const keys = generateKeyPair();
      fs.writeFileSync(o.out, JSON.stringify(encryptKey(keys, passphrase(o.passphrase)), null, 2), {
        mode: 0o600,
      });
      print(
        out(),
        { file: o.out, publicKey: keys.publicKey },
        `key written to ${o.out}\npublic key x=${keys.publicKey.x}\n           y=${keys.publicKey.y}`,
      );
    });
}
