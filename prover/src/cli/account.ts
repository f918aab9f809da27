import type { Command } from "commander";
import { Contract, JsonRpcProvider } from "ethers";
import { leafHash, type Account } from "../domain/account.ts";
import { sign } from "../domain/keys.ts";
import { AccountTree } from "../domain/tree.ts";
import { loadArtifact } from "../chain/artifacts.ts";
import { fromJson } from "../domain/json.ts";
import {
  api,
  bigintArg,
  CliError,
  EXIT,
  loadKey,
  print,
  type Output,
  deployment,
  DEFAULT_DEPLOYMENT,
} from "./common.ts";
import { accountQueryMessage } from "../domain/messages.ts";
import { receiptsDir, saveReceipt } from "./escape-common.ts";
import { accountQueryJson, signAccountQuery } from "../explorer/query.ts";

export function register(program: Command, out: () => Output): void {
  program
    .command("account")
    .description(
      "fetch your account leaf and Merkle proof and check them against the on-chain root",
    )
    .requiredOption("--key <file>", "keystore")
    .requiredOption("--account <n>", "your account index")
    .option("--api <url>", "operator API", "http://127.0.0.1:8080")
    .option("--rpc <url>", "JSON-RPC endpoint (to compare with the on-chain root)")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--passphrase <p>", "passphrase (or ZKCLEAR_PASSPHRASE)")
    .option(
      "--print-query",
      "print the signed account query as JSON (for the explorer page's account view, valid 5 minutes) instead of calling the API",
    )
    .option(
      "--receipts <dir>",
      "keep the checked leaf and path here, for an exit without the operator (default: $ZKCLEAR_RECEIPTS or ~/.zkclear/receipts)",
    )
    .action(async (o: Record<string, string>) => {
      const keys = loadKey(o.key, o.passphrase);
      const index = bigintArg("account", o.account);
      const ts = BigInt(Math.floor(Date.now() / 1000));
      const domain = deployment(o.deployment).domain;
      if (o.printQuery) {
        // for the explorer's account view: the page's server checks it, nothing is fetched here
        console.log(accountQueryJson(signAccountQuery(keys.privateKey, index, ts, domain)));
        return;
      }
      const sig = sign(keys.privateKey, accountQueryMessage(index, ts, domain));
      const r = await api(
        o.api,
        "GET",
        `/v1/accounts/${index}?timestamp=${ts}&r8x=${sig.r8x}&r8y=${sig.r8y}&s=${sig.s}`,
      );
      // the API writes bigints as decimal strings; read them back as bigints
      const text = JSON.stringify(r).replace(/"(-?\d+)"/g, '"$1n"');
      const v = fromJson<{
        account: Account;
        leaf: bigint;
        siblings: bigint[][];
        root: bigint;
      }>(text);
      if (leafHash(v.account) !== v.leaf)
        throw new CliError(
          "LEAF_MISMATCH",
          "the account does not hash to the leaf the operator sent",
          EXIT.refused,
        );
      const root = AccountTree.computeRoot(
        v.leaf,
        index,
        v.siblings,
        deployment(o.deployment).paramSet.depth,
      );
      if (root !== v.root)
        throw new CliError(
          "PROOF_MISMATCH",
          "the Merkle proof does not lead to the operator's root",
          EXIT.refused,
        );
      let onChain: string = "not checked (no --rpc)";
      let batch: number | null = null;
      if (o.rpc) {
        const a = deployment(o.deployment).addresses;
        const provider = new JsonRpcProvider(o.rpc);
        const settlement = new Contract(a.settlement, loadArtifact("Settlement").abi, provider);
        const chainRoot = BigInt(await settlement.getFunction("stateRoot")());
        if (chainRoot === root) batch = Number(await settlement.getFunction("batchCount")());
        provider.destroy();
        onChain =
          chainRoot === root
            ? "equal to the on-chain root: settled"
            : "the operator is ahead of the chain: batches pending";
      }
      const receipt = saveReceipt(receiptsDir(o.receipts), deployment(o.deployment), {
        account: index,
        leaf: v.account,
        siblings: v.siblings,
        root,
        batch,
        checkedAt: Number(ts),
      });
      print(
        out(),
        { index, account: v.account, root, proofValid: true, onChain, batch, receipt },
        `account ${index}${v.account.isolatedMarket === undefined ? "" : ` (isolated to market ${v.account.isolatedMarket})`}: collateral ${v.account.collateral}, positions ${v.account.positions.map((p) => p.size).join(", ")}\nMerkle proof valid for root ${root}; ${onChain}\nreceipt kept in ${receipt} (your exit data after a freeze at this root)`,
      );
    });
}
