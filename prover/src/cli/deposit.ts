import type { Command } from "commander";
import { Contract, JsonRpcProvider, NonceManager, Wallet, type Signer } from "ethers";
import { loadArtifact } from "../chain/artifacts.ts";
import {
  bigintArg,
  CliError,
  loadKey,
  print,
  spin,
  type Output,
  deployment,
  DEFAULT_DEPLOYMENT,
  EXIT,
} from "./common.ts";
import { decodeRefusal } from "./escape-common.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("deposit")
    .description(
      "approve and deposit collateral; without --account it opens a new account for your key",
    )
    .option("--key <file>", "keystore (its public key opens the account; not for a top-up)")
    .requiredOption("--amount <units>", "token units")
    .option(
      "--account <n>",
      "top up this existing account instead (2 tops up the insurance fund); names no key",
    )
    .option(
      "--isolated <market>",
      "open a new sub-account for your key isolated to this market (its index): it trades that market only and a loss there never reaches your other accounts",
    )
    .option(
      "--eth-key <hex>",
      "Ethereum private key paying the tokens (default: the node's first account)",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--mint", "mint the amount first (the development TestToken only)")
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .action(async (o: Record<string, string>) => {
      const amount = bigintArg("amount", o.amount);
      const account = o.account === undefined ? 0n : bigintArg("account", o.account);
      if (account === 0n && o.key === undefined)
        throw new CliError(
          "BAD_ARGUMENT",
          "a new account needs --key (its public key opens it); give --account to top one up",
        );
      const isolated =
        o.isolated === undefined ? undefined : Number(bigintArg("isolated", o.isolated));
      if (isolated !== undefined && account !== 0n)
        throw new CliError(
          "BAD_ARGUMENT",
          "--isolated opens a new sub-account; an existing account keeps its margin mode (drop --account, or --isolated for a top-up)",
        );
      // a top-up names no key: the account keeps its own (the Vault queues (0, 0))
      const pk = account === 0n ? loadKey(o.key, o.passphrase).publicKey : { x: 0n, y: 0n };
      const a = deployment(o.deployment).addresses;
      const provider = new JsonRpcProvider(o.rpc);
      // one nonce counter for the mint, approve and deposit transactions
      const signer: Signer = new NonceManager(
        o.ethKey ? new Wallet(o.ethKey, provider) : await provider.getSigner(0),
      );
      const token = new Contract(a.token, loadArtifact("TestToken").abi, signer);
      const vault = new Contract(a.vault, loadArtifact("Vault").abi, signer);
      const receipt = await spin(out(), "depositing", async () => {
        if (o.mint)
          await (await token.getFunction("mint")(await signer.getAddress(), amount)).wait();
        await (await token.getFunction("approve")(a.vault, amount)).wait();
        try {
          const tx =
            isolated === undefined
              ? await vault.getFunction("deposit")(account, pk.x, pk.y, amount)
              : await vault.getFunction("depositIsolated")(pk.x, pk.y, amount, isolated);
          return await tx.wait();
        } catch (e) {
          // the Vault's custom error, by name (BadMarket, UnknownAccount, DepositsPaused, ...)
          const r = decodeRefusal(e, vault.interface);
          if (!r) throw e;
          throw new CliError(
            "CHAIN_REFUSED",
            `the Vault refused the deposit: ${r.name}(${r.args.map(String).join(", ")})`,
            EXIT.refused,
          );
        }
      });
      const ev = receipt.logs
        .map((l: { topics: string[]; data: string }) => vault.interface.parseLog(l))
        .find((e: { name: string } | null) => e?.name === "Deposited");
      provider.destroy();
      print(
        out(),
        {
          account: ev.args.account,
          queueIndex: ev.args.index,
          amount,
          isolatedMarket: isolated ?? null,
          tx: receipt.hash,
        },
        `deposited ${amount} to ${isolated === undefined ? "" : `new sub-account (isolated to market ${isolated}) `}account ${ev.args.account} (queue position ${ev.args.index}); credited when the operator proves its next deposit batch`,
      );
    });
}
