import type { Command } from "commander";
import { getAddress } from "ethers";
import { signWithdrawal } from "../domain/transfers.ts";
import {
  api,
  bigintArg,
  CliError,
  DEFAULT_DEPLOYMENT,
  deployment,
  loadKey,
  print,
  type Output,
} from "./common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("withdraw")
    .description(
      "sign a withdrawal to an Ethereum address; claim it from the Vault once settled (zkclear claim)",
    )
    .requiredOption("--key <file>", "keystore")
    .requiredOption(
      "--account <n>",
      "your account index (1: the fee account, 2: the insurance fund, with its owner's key)",
    )
    .requiredOption("--amount <units>", "collateral units")
    .requiredOption("--to <address>", "recipient address")
    .requiredOption("--nonce <n>", "your account's withdrawal nonce (0 for the first)")
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .option("--deployment <file>", "deployment file (its domain is signed)", DEFAULT_DEPLOYMENT)
    .action(async (o: Record<string, string>) => {
      let to: string;
      try {
        to = getAddress(o.to);
      } catch {
        throw new CliError("BAD_ARGUMENT", `--to ${o.to} is not an Ethereum address`);
      }
      const keys = loadKey(o.key, o.passphrase);
      const sw = signWithdrawal(
        {
          account: bigintArg("account", o.account),
          nonce: bigintArg("nonce", o.nonce),
          amount: bigintArg("amount", o.amount),
          recipient: BigInt(to),
        },
        keys.privateKey,
        deployment(o.deployment).domain,
      );
      const r = await api(o.api, "POST", "/v1/withdrawals", {
        account: sw.withdrawal.account,
        nonce: sw.withdrawal.nonce,
        amount: sw.withdrawal.amount,
        recipient: to,
        signature: sw.signature,
      });
      print(
        out(),
        r,
        `withdrawal ${r.id} accepted; once its batch settles the Vault owes it (then: zkclear claim --to ${to})`,
      );
    });
}
