import assert from "node:assert/strict";
import hre from "hardhat";
import type {} from "@nomicfoundation/hardhat-ethers";
import { keccak256, toUtf8Bytes } from "ethers";
// Hardhat's ethers objects come from the CommonJS build of ethers, whose classes are distinct
// types from the ESM build's; name them through Hardhat's build.
import type {
  Contract,
  ContractTransactionReceipt,
  ContractTransactionResponse,
  LogDescription,
  Wallet,
} from "ethers" with { "resolution-mode": "require" };
import {
  signReport,
  submitRoundArgs,
  type OracleReport,
  type ReportSigner,
  type SignedReport,
  type SubmitRoundArgs,
} from "../../prover/src/chain/oracle-reports.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import type { MarginRuleNumbers } from "../../prover/src/domain/volatility.ts";

/**
 * Helpers for tests that use contracts/PriceOracle.sol on the Hardhat network: deterministic
 * signer wallets, deployment with bounds, report signing (prover/src/chain/oracle-reports.ts)
 * and custom-error assertions.
 */

/** A Hardhat account as hre.ethers hands it out. */
export type HardhatEthersSigner = Awaited<ReturnType<typeof hre.ethers.getSigners>>[number];

/** A deterministic wallet (not connected to a provider) with key keccak256(`label`). */
export function labelledWallet(label: string): Wallet {
  return new hre.ethers.Wallet(keccak256(toUtf8Bytes(label)));
}

/** `n` deterministic wallets, labelled `${label} ${i}`. */
export function oracleWallets(n: number, label = "zkclear oracle signer"): Wallet[] {
  return Array.from({ length: n }, (_, i) => labelledWallet(`${label} ${i}`));
}

/** The Hardhat network's chain id. */
export async function chainId(): Promise<bigint> {
  return (await hre.ethers.provider.getNetwork()).chainId;
}

/** The timestamp of the latest block. */
export async function latestTimestamp(): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock("latest");
  assert.ok(block, "no latest block");
  return BigInt(block.timestamp);
}

/** Makes the next block's timestamp exactly `timestamp`. */
export async function setNextTimestamp(timestamp: bigint): Promise<void> {
  await hre.network.provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
}

export interface OracleDeployOptions {
  /** The initial signers (wallets or addresses). */
  readonly signers: readonly ({ getAddress(): Promise<string> } | string)[];
  readonly quorum: number;
  readonly maxAge?: bigint;
  /** Per market [min, max]; its length is the market count. */
  readonly bounds: readonly (readonly [bigint, bigint])[];
  /** The circuit breaker (PriceOracle.Setup); default DEPLOY_DEFAULTS'. */
  readonly breakerMoveBps?: number;
  readonly breakerCooldown?: number;
  /** The volatility margin rule (PriceOracle.Setup.margins); default DEPLOY_DEFAULTS'. */
  readonly marginRule?: MarginRuleNumbers;
  /**
   * Deployer, DEFAULT_ADMIN_ROLE and ORACLE_ADMIN_ROLE holder; defaults to the first Hardhat
   * account (a deployment gives both roles to timelocks: test/contracts/governance.test.ts).
   */
  readonly owner?: HardhatEthersSigner;
}

/** The PriceOracle constructor's argument (PriceOracle.Setup) for `opts`, owner as both admins. */
export async function oracleSetup(
  opts: OracleDeployOptions & { owner: HardhatEthersSigner },
): Promise<Record<string, unknown>> {
  const me = await opts.owner.getAddress();
  return {
    admin: me,
    oracleAdmin: me,
    marketCount: opts.bounds.length,
    maxAge: opts.maxAge ?? 300n,
    quorum: opts.quorum,
    signers: await Promise.all(
      opts.signers.map((s) => (typeof s === "string" ? s : s.getAddress())),
    ),
    minPrices: opts.bounds.map((b) => b[0]),
    maxPrices: opts.bounds.map((b) => b[1]),
    breakerMoveBps: opts.breakerMoveBps ?? DEPLOY_DEFAULTS.breakerMoveBps,
    breakerCooldown: opts.breakerCooldown ?? DEPLOY_DEFAULTS.breakerCooldown,
    margins: opts.marginRule ?? DEPLOY_DEFAULTS.marginRule,
  };
}

/** Deploys a PriceOracle with the given bounds; returns it connected to the owner. */
export async function deployOracle(opts: OracleDeployOptions): Promise<Contract> {
  const owner = opts.owner ?? (await hre.ethers.getSigners())[0];
  const factory = await hre.ethers.getContractFactory("PriceOracle", owner);
  const deployed = await factory.deploy(await oracleSetup({ ...opts, owner }));
  await deployed.waitForDeployment();
  return hre.ethers.getContractAt("PriceOracle", await deployed.getAddress(), owner);
}

/** Moves the chain's clock `seconds` forward and mines a block. */
export async function increaseTime(seconds: bigint | number): Promise<void> {
  await hre.network.provider.send("evm_increaseTime", [Number(seconds)]);
  await hre.network.provider.send("evm_mine", []);
}

/**
 * Signs one report per wallet for `oracle` on the Hardhat chain (or `opts.chainId`):
 * wallets[i] signs `prices[i]` for round `roundId` at `timestamp`.
 */
export async function signReports(
  oracle: string | { getAddress(): Promise<string> },
  wallets: readonly ReportSigner[],
  roundId: bigint,
  timestamp: bigint,
  prices: readonly (readonly bigint[])[],
  opts: { chainId?: bigint } = {},
): Promise<SignedReport[]> {
  assert.equal(wallets.length, prices.length, "one price vector per wallet");
  const address = typeof oracle === "string" ? oracle : await oracle.getAddress();
  const chain = opts.chainId ?? (await chainId());
  return Promise.all(
    wallets.map((w, i) => {
      const report: OracleReport = { roundId, timestamp, prices: prices[i] };
      return signReport(w, address, chain, report);
    }),
  );
}

/** Submits `signed` as round `roundId` from `from` (default: the contract's runner). */
export async function submitRound(
  oracle: Contract,
  roundId: bigint,
  signed: readonly SignedReport[],
  from?: HardhatEthersSigner,
): Promise<ContractTransactionReceipt> {
  const args: SubmitRoundArgs = submitRoundArgs(roundId, signed);
  const c = from ? (oracle.connect(from) as Contract) : oracle;
  const tx = (await c.submitRound(...args)) as ContractTransactionResponse;
  const receipt = await tx.wait();
  assert.ok(receipt, "no receipt");
  return receipt;
}

/** A contract (or factory) whose ABI decodes events: Hardhat's or plain ethers'. */
export interface DecodesEvents {
  readonly interface: {
    parseLog(log: { topics: readonly string[]; data: string }): LogDescription | null;
  };
}

/** A contract (or factory) whose ABI decodes custom errors: Hardhat's or plain ethers'. */
export interface DecodesErrors {
  readonly interface: {
    parseError(
      data: string,
    ): { name: string; signature: string; args: { toArray(): unknown[] } } | null;
  };
}

/** The logs of `receipt` that `contract` emitted as event `name`, decoded. */
export function eventsOf(
  receipt: ContractTransactionReceipt,
  contract: DecodesEvents,
  name: string,
): LogDescription[] {
  return receipt.logs
    .map((log) => contract.interface.parseLog(log))
    .filter((e): e is LogDescription => e !== null && e.name === name);
}

/**
 * Asserts that `action` reverts with the custom error `name` of `contract` (decoded from the
 * revert data, not matched in a message), and, if `args` is given, with exactly those
 * arguments. Returns the decoded arguments.
 */
export async function expectCustomError(
  action: Promise<unknown>,
  contract: DecodesErrors,
  name: string,
  args?: readonly unknown[],
): Promise<unknown[]> {
  let error: unknown;
  try {
    await action;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected a revert with ${name}, but the call succeeded`);
  const data = (error as { data?: unknown }).data;
  assert.ok(
    typeof data === "string" && data.startsWith("0x"),
    `expected revert data for ${name}, got: ${String(error)}`,
  );
  const decoded = contract.interface.parseError(data);
  assert.ok(decoded, `revert data ${data} is not an error of this contract (expected ${name})`);
  assert.equal(decoded.name, name, `expected custom error ${name}, got ${decoded.signature}`);
  const got = decoded.args.toArray();
  if (args !== undefined) assert.deepEqual(got, [...args], `arguments of ${name}`);
  return got;
}
