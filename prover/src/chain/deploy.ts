import { Contract, ContractFactory, type Signer } from "ethers";
import { BATCH_KIND_NAMES, BATCH_KINDS } from "../domain/batch-kinds.ts";
import { CIRCUIT_IDS, type CircuitId } from "../domain/circuits.ts";
import type { DeploymentAddresses } from "../domain/deployment.ts";
import { genesisRoot } from "../domain/genesis.ts";
import { marketsHash, type MarketParams } from "../domain/market.ts";
import type { ParamSet } from "../domain/params.ts";
import { compileContracts, factory } from "./artifacts.ts";

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
  readonly markets: readonly MarketParams[];
  readonly oracle: OracleSetup;
  /**
   * Each circuit's verifier as creation bytecode (hex): the verifier generated from the
   * key set's verification key (proving/verifier-contract.ts).
   */
  readonly verifiers: Readonly<Record<CircuitId, string>>;
  /** An existing ERC20 collateral token; a TestToken is deployed when absent. */
  readonly token?: string;
  /** Oldest oracle round a batch may use, seconds. */
  readonly maxPriceAge?: number;
  readonly guardian?: string;
  /**
   * TEST ONLY: verifier addresses to use instead of deploying the generated ones (the
   * auditor's tests deploy with an accept-all or a foreign-key verifier to show they are
   * caught).
   */
  readonly verifierOverrides?: Partial<Record<CircuitId, string>>;
}

/** The contracts of a deployment, connected to the deployer. */
export interface DeployedContracts {
  readonly addresses: DeploymentAddresses;
  readonly chainId: bigint;
  /** The block of the first deployment transaction (where an audit starts). */
  readonly block: number;
  readonly genesisRoot: bigint;
  /** Settlement's domain and configHash, as it computed them. */
  readonly domain: bigint;
  readonly configHash: bigint;
  readonly maxPriceAge: number;
  readonly guardian: string;
  readonly token: Contract;
  readonly oracle: Contract;
  readonly vault: Contract;
  readonly settlement: Contract;
}

/** Compiles the hand-written contracts (contracts/) with solcjs through Hardhat. */
export function prepareContracts(log: (s: string) => void = () => {}): Promise<void> {
  log("compiling contracts (solc 0.8.28, solcjs)");
  return compileContracts();
}

async function deployed(c: Promise<Contract> | Contract): Promise<Contract> {
  const contract = await c;
  await contract.waitForDeployment();
  return contract;
}

/**
 * Deploys zkclear: the Poseidon libraries, one verifier per circuit, the price oracle, the
 * vault (and a test token if none is given) and the Settlement contract, wired together.
 * The contracts must have been compiled (prepareContracts).
 */
export async function deployContracts(
  deployer: Signer,
  opts: DeployOptions,
): Promise<DeployedContracts> {
  const p = opts.params;
  const markets = opts.markets;
  const owner = await deployer.getAddress();
  const send = async (c: Contract, method: string, ...args: unknown[]) => {
    const tx = await c.getFunction(method)(...args);
    return tx.wait();
  };

  const firstBlock = (await deployer.provider!.getBlockNumber()) + 1;
  const libraries: Record<string, string> = {};
  for (const lib of ["PoseidonT3", "PoseidonT4", "PoseidonT5", "PoseidonT6"]) {
    const c = await deployed(factory(lib, deployer).deploy() as Promise<Contract>);
    libraries[lib] = await c.getAddress();
  }
  const verifiers = {} as Record<CircuitId, string>;
  for (const id of CIRCUIT_IDS) {
    const override = opts.verifierOverrides?.[id];
    verifiers[id] =
      override ??
      (await (
        await deployed(
          new ContractFactory(
            [],
            `0x${opts.verifiers[id].replace(/^0x/, "")}`,
            deployer,
          ).deploy() as Promise<Contract>,
        )
      ).getAddress());
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
    await send(oracle, "setBounds", j, o.bounds[j][0], o.bounds[j][1]);

  const vault = await deployed(
    factory("Vault", deployer, libraries).deploy(
      await token.getAddress(),
      p.depth,
    ) as Promise<Contract>,
  );
  const genesis = genesisRoot(p.depth, markets.length);
  const mh = marketsHash(markets);
  const maxPriceAge = opts.maxPriceAge ?? 3600;
  const guardian = opts.guardian ?? owner;
  // each kind's verifier goes in the constructor field named like its getter
  const kindVerifiers = Object.fromEntries(
    BATCH_KIND_NAMES.map((k) => [BATCH_KINDS[k].verifierGetter, verifiers[BATCH_KINDS[k].circuit]]),
  );
  const settlement = await deployed(
    factory("Settlement", deployer, libraries).deploy({
      ...kindVerifiers,
      oracle: await oracle.getAddress(),
      vault: await vault.getAddress(),
      marketsHash: mh,
      marketCount: markets.length,
      withdrawalSlots: p.withdrawals,
      maxPriceAge,
      genesisRoot: genesis,
      guardian,
    }) as Promise<Contract>,
  );
  await send(vault, "setSettlement", await settlement.getAddress());
  const network = await deployer.provider!.getNetwork();
  return {
    addresses: {
      token: await token.getAddress(),
      oracle: await oracle.getAddress(),
      vault: await vault.getAddress(),
      settlement: await settlement.getAddress(),
      verifiers,
      libraries,
    },
    chainId: network.chainId,
    block: firstBlock,
    genesisRoot: genesis,
    domain: BigInt(await settlement.getFunction("domain")()),
    configHash: BigInt(await settlement.getFunction("configHash")()),
    maxPriceAge,
    guardian,
    token,
    oracle,
    vault,
    settlement,
  };
}
