import type { Command } from "commander";
import { getAddress, JsonRpcProvider, Wallet, type Signer } from "ethers";
import { paramSet } from "../domain/params.ts";
import { prepareContracts } from "../chain/deploy.ts";
import { defaultDeploymentFile, deployZkclear, saveDeployment } from "../deploy/deploy.ts";
import { checkKeys, keySetFrom } from "../proving/key-sets.ts";
import { devOracleWallets } from "../service/feeder.ts";
import { bigintArg, CliError, print, type Output } from "./common.ts";

/** The smallest quorum that is a majority of `n` signers. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

function signerList(spec: string): string[] {
  const list = spec.split(",").map((s) => s.trim());
  for (const s of list)
    if (!/^0x[0-9a-fA-F]{40}$/.test(s))
      throw new CliError("BAD_ARGUMENT", `--oracle-signers: ${s} is not an address`);
  return list.map((s) => getAddress(s));
}

export function register(program: Command, out: () => Output): void {
  program
    .command("deploy")
    .description(
      "deploy the contracts with verifiers made from a key set, and write the deployment file",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--params <set>", "parameter set (test, demo, bench, <set>-b<B>)", "test")
    .option(
      "--keys <source>",
      "development (INSECURE keys made here) or a ceremony key set's directory",
      "development",
    )
    .option("--key <hex>", "deployer's Ethereum key (default: the node's first account)")
    .option("--token <address>", "collateral ERC20 (default: deploy a TestToken)")
    .option(
      "--oracle-signers <list>",
      "oracle signer addresses, comma-separated (default: three INSECURE development signers)",
    )
    .option("--quorum <k>", "reports a round needs (default: a majority of the signers)")
    .option("--max-price-age <s>", "oldest oracle round a batch may use, seconds", "3600")
    .option("--guardian <address>", "who may pause (default: the deployer)")
    .option("--out <file>", "deployment file (default: artifacts/deployments/chain-<id>.json)")
    .action(async (o: Record<string, string>) => {
      const p = paramSet(o.params);
      const keys = keySetFrom(o.keys, p);
      checkKeys(keys);
      const signers = o.oracleSigners
        ? signerList(o.oracleSigners)
        : devOracleWallets(3).map((w) => w.address);
      const quorum = o.quorum ? Number(bigintArg("quorum", o.quorum)) : majority(signers.length);
      if (quorum < majority(signers.length) || quorum > signers.length)
        throw new CliError(
          "BAD_ARGUMENT",
          `--quorum ${quorum}: a round must need a majority of the ${signers.length} signers (${majority(signers.length)}..${signers.length})`,
        );
      const provider = new JsonRpcProvider(o.rpc);
      try {
        const deployer: Signer = o.key ? new Wallet(o.key, provider) : await provider.getSigner(0);
        const log = (s: string) => (out().json ? undefined : console.error(s));
        await prepareContracts(log);
        const { deployment } = await deployZkclear(deployer, {
          params: p,
          keys,
          token: o.token,
          guardian: o.guardian,
          maxPriceAge: Number(bigintArg("max-price-age", o.maxPriceAge)),
          oracle: {
            signers,
            quorum,
            maxReportAge: 3600,
            bounds: Array.from({ length: p.markets }, () => [1n, (1n << 64n) - 1n] as const),
          },
          log,
        });
        const file = saveDeployment(o.out ?? defaultDeploymentFile(deployment.chainId), deployment);
        const roles = Object.entries(deployment.roles)
          .map(([r, a]) => `  ${r}: ${a}`)
          .join("\n");
        print(
          out(),
          { file, ...deployment.addresses, roles: deployment.roles, keys: deployment.keys.kind },
          `deployed "${p.name}" on chain ${deployment.chainId} with ${deployment.keys.kind} keys` +
            `\n  Settlement: ${deployment.addresses.settlement}\n  Vault: ${deployment.addresses.vault}` +
            `\n  oracle: ${deployment.addresses.oracle} (${quorum} of ${signers.length} signers)` +
            `\nroles:\n${roles}\nwritten to ${file}`,
        );
      } finally {
        provider.destroy();
      }
    });
}
