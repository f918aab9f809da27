import fs from "node:fs";
import type { Command } from "commander";
import { encryptKey } from "../domain/keystore.ts";
import { generateKeyPair } from "../domain/keys.ts";
import { devOwnerKeys, formatPublicKey } from "../domain/owners.ts";
import { CliError, passphrase, print, type Output } from "./common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("keygen")
    .description("make a Baby Jubjub trading key in a passphrase-encrypted keystore file")
    .requiredOption("--out <file>", "keystore file to write")
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .option(
      "--dev-owner <role>",
      "write the INSECURE development owner key of the fee account (fee) or the insurance fund (fund), which a deployment without --fee-owner / --fund-owner puts in its genesis: never for real funds",
    )
    .action((o: { out: string; passphrase?: string; devOwner?: string }) => {
      if (fs.existsSync(o.out))
        throw new CliError("FILE_EXISTS", `${o.out} exists; refusing to overwrite a key`);
      if (o.devOwner !== undefined && o.devOwner !== "fee" && o.devOwner !== "fund")
        throw new CliError("BAD_ARGUMENT", `--dev-owner must be fee or fund, got ${o.devOwner}`);
      const keys = o.devOwner ? devOwnerKeys()[o.devOwner] : generateKeyPair();
      fs.writeFileSync(o.out, JSON.stringify(encryptKey(keys, passphrase(o.passphrase)), null, 2), {
        mode: 0o600,
      });
      const insecure = o.devOwner
        ? `\nINSECURE: the development ${o.devOwner} owner's key, which anyone can derive`
        : "";
      print(
        out(),
        { file: o.out, publicKey: keys.publicKey, insecure: o.devOwner !== undefined },
        `key written to ${o.out}\npublic key x=${keys.publicKey.x}\n           y=${keys.publicKey.y}` +
          `\n(as deploy --fee-owner / --fund-owner take it: ${formatPublicKey(keys.publicKey)})${insecure}`,
      );
    });
}
