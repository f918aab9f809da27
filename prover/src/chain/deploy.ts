import fs from "node:fs";
import path from "node:path";
import { Contract, type Signer } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { configHash, defaultMarkets, type MarketParams } from "../domain/market.ts";
import { ExchangeState } from "../engine/state.ts";
import { ARTIFACTS } from "../proving/paths.ts";
import { compileContracts, factory } from "./artifacts.ts";
import { generateDevVerifiers, VERIFIER_CONTRACTS } from "./verifiers.ts";

export interface OracleSetup {
  readonly signers: readonly string[];
  readonly quorum: number;
  /** A report older than this (seconds) is stale. */
  readonly maxReportAge: number;
  /** Per market [min, max] accepted price. */
  readonly bounds: readonly (readonly [bigint, bigint])[];
}

export interface DeployOptions {
  readonly params: ParamSet;
  readonly markets?: readonly MarketParams[];
  readonly oracle: OracleSetup;
  /** An existing ERC20 collateral token; a TestToken is deployed when absent. */
  readonly token?: string;
  /** Oldest oracle round a batch may use, seconds. */
  readonly maxPriceAge?: number;
  readonly guardian?: string;
  /**
   * TEST ONLY: verifier addresses to use instead of the generated ones (the auditor's
   * tests deploy with an accept-all or a foreign-key verifier to show they are caught).
   */
  readonly verifierOverrides?: Partial<Record<string, string>>;
}

export interface DeploymentAddresses {
  readonly chainId: string;
  readonly paramSet: string;
  readonly token: string;
  readonly oracle: string;
  readonly vault: string;
  readonly settlement: string;
  readonly verifiers: Record<string, string>;
  readonly libraries: Record<string, string>;
  readonly genesisRoot: string;
  readonly configHash: string;
}

export interface Deployment {
  readonly addresses: DeploymentAddresses;
  readonly token: Contract;
  readonly oracle: Contract;
  readonly vault: Contract;
  readonly settlement: Contract;
}

/** Writes the generated verifiers for the parameter set and compiles every contract. */
export async function prepareContracts(
  p: ParamSet,
  log: (s: string) => void = () => {},
): Promise<void> {
  await generateDevVerifiers(p, log);
  log("compiling contracts (solc 0.8.28, solcjs)");
  await compileContracts();
}

async function deployed(c: Promise<Contract> | Contract): Promise<Contract> {
  const contract = await c;
  await contract.waitForDeployment();
  return contract;
}

/**
 * Deploys zkclear: Poseidon libraries, the three generated verifiers, the price oracle,
 * the vault (and a test token if none is given) and the Settlement contract, wired
 * together. Contracts must have been prepared (prepareContracts) for the same set.
 */
export async function deploy(deployer: Signer, opts: DeployOptions): Promise<Deployment> {
  const p = opts.params;
  const markets = opts.markets ?? defaultMarkets(p.markets);
  const owner = await deployer.getAddress();
  const as = (c: Contract) => c as unknown as Contract;
  const send = async (c: Contract, method: string, ...args: unknown[]) => {
    const tx = await c.getFunction(method)(...args);
    await tx.wait();
  };

  const libraries: Record<string, string> = {};
  for (const lib of ["PoseidonT3", "PoseidonT4", "PoseidonT5", "PoseidonT6"]) {
    const c = await deployed(factory(lib, deployer).deploy() as Promise<Contract>);
    libraries[lib] = await c.getAddress();
  }
  const verifiers: Record<string, string> = {};
  for (const [id, name] of Object.entries(VERIFIER_CONTRACTS)) {
    const override = opts.verifierOverrides?.[id];
    verifiers[id] =
      override ??
      (await (await deployed(factory(name, deployer).deploy() as Promise<Contract>)).getAddress());
  }
  const token = opts.token
    ? new Contract(opts.token, factory("TestToken", deployer).interface, deployer)
    : await deployed(factory("TestToken", deployer).deploy() as Promise<Contract>);

  const o = opts.oracle;
  const oracle = await deployed(
    factory("PriceOracle", deployer).deploy(owner, markets.length, o.maxReportAge, o.quorum, [
      ...o.signers,
    ]) as Promise<Contract>,
  );
  for (let j = 0; j < markets.length; j++)
    await send(as(oracle), "setBounds", j, o.bounds[j][0], o.bounds[j][1]);

  const vault = await deployed(
    factory("Vault", deployer, libraries).deploy(
      await token.getAddress(),
      p.depth,
    ) as Promise<Contract>,
  );
  const genesis = ExchangeState.genesis(p.depth, markets).root;
  const cfg = configHash(markets);
  const settlement = await deployed(
    factory("Settlement", deployer, libraries).deploy({
      tradeVerifier: verifiers.settle_trades,
      depositVerifier: verifiers.apply_deposits,
      withdrawalVerifier: verifiers.process_withdrawals,
      liquidationVerifier: verifiers.liquidate_batch,
      oracle: await oracle.getAddress(),
      vault: await vault.getAddress(),
      configHash: cfg,
      marketCount: markets.length,
      withdrawalSlots: p.withdrawals,
      maxPriceAge: opts.maxPriceAge ?? 3600,
      genesisRoot: genesis,
      guardian: opts.guardian ?? owner,
    }) as Promise<Contract>,
  );
  await send(vault, "setSettlement", await settlement.getAddress());

  const network = await deployer.provider?.getNetwork();
  const addresses: DeploymentAddresses = {
    chainId: String(network?.chainId ?? 0n),
    paramSet: p.name,
    token: await token.getAddress(),
    oracle: await oracle.getAddress(),
    vault: await vault.getAddress(),
    settlement: await settlement.getAddress(),
    verifiers,
    libraries,
    genesisRoot: genesis.toString(),
    configHash: cfg.toString(),
  };
  return { addresses, token, oracle, vault, settlement };
}

/** Saves a deployment's addresses to artifacts/deployments/<name>.json. */
export function saveDeployment(name: string, a: DeploymentAddresses): string {
  const dir = path.join(ARTIFACTS, "deployments");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(a, null, 2));
  return file;
}
