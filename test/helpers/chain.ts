import hre from "hardhat";
import { createRequire } from "node:module";
import { BrowserProvider, type Eip1193Provider, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { prepareContracts } from "../../prover/src/chain/deploy.ts";
import { ensureDevKeySet } from "../../prover/src/proving/key-sets.ts";

/**
 * The in-process Hardhat chain through the project's own (ESM) ethers, so contracts,
 * signers and providers all come from one ethers instance.
 */
export const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);

export async function signers(n: number): Promise<JsonRpcSigner[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => provider.getSigner(i)));
}

let prepared: Promise<void> | undefined;

/** Generated verifiers for the `test` set and compiled contracts, once per test run. */
export function prepareTestContracts(): Promise<void> {
  prepared ??= ensureDevKeySet(PARAM_SETS.test).then(() => prepareContracts());
  return prepared;
}

export async function increaseTime(seconds: number): Promise<void> {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}

/** The custom error name of a reverted call, decoded by the contract's interface. */
export function revertName(e: unknown): string {
  const err = e as { revert?: { name?: string }; shortMessage?: string; message?: string };
  return err.revert?.name ?? err.shortMessage ?? err.message ?? String(e);
}

/**
 * Serves the in-process chain over JSON-RPC on 127.0.0.1 (as `hardhat node` does), for
 * child processes such as the CLI. Hardhat 2's own server class, pinned with hardhat.
 */
export async function serveChain(): Promise<{ url: string; close(): Promise<void> }> {
  const require = createRequire(import.meta.url);
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (c: { hostname: string; port: number; provider: unknown }) => {
      listen(): Promise<{ address: string; port: number }>;
      close(): Promise<void>;
    };
  };
  const server = new JsonRpcServer({
    hostname: "127.0.0.1",
    port: 0,
    provider: hre.network.provider,
  });
  const a = await server.listen();
  return { url: `http://127.0.0.1:${a.port}`, close: () => server.close() };
}
