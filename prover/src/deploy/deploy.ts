import fs from "node:fs";
import path from "node:path";
import type { Signer } from "ethers";
import { CIRCUIT_IDS, type CircuitId } from "../domain/circuits.ts";
import {
  parseDeployment,
  toDeploymentFile,
  type Deployment,
  type DeploymentKeys,
} from "../domain/deployment.ts";
import { configHash, defaultMarkets, type MarketParams } from "../domain/market.ts";
import { deploymentDomain } from "../domain/messages.ts";
import { devOwners, devOwnerWarnings } from "../domain/owners.ts";
import { ARTIFACTS } from "../domain/paths.ts";
import { checkKeys, fileSha256, readVerificationKeys, type KeySet } from "../proving/key-sets.ts";
import { compileVerifier } from "../proving/verifier-contract.ts";
import {
  DEPLOY_DEFAULTS,
  deployContracts,
  type DeployOptions,
  type DeployedContracts,
} from "../chain/deploy.ts";
import { DeploymentError } from "../domain/deployment.ts";

/**
 * `deploy`: from a key set to a running deployment and its file. The verifiers are
 * generated from the key set's verification keys (snarkjs's template, compiled with
 * solcjs), the contracts are deployed, and the deployment file records the chain, the
 * addresses, the configuration and the key files' hashes (domain/deployment.ts).
 */
export interface DeployRequest extends Omit<DeployOptions, "verifiers" | "markets"> {
  readonly keys: KeySet;
  /** The markets; default: the development table for the parameter set. */
  readonly markets?: readonly MarketParams[];
  readonly log?: (s: string) => void;
}

export interface DeployResult {
  readonly deployment: Deployment;
  readonly contracts: DeployedContracts;
}

/** What a deployment records of its key set: where each key was and its sha256. */
export function deploymentKeys(ks: KeySet): DeploymentKeys {
  checkKeys(ks);
  const circuits = {} as Record<CircuitId, DeploymentKeys["circuits"][CircuitId]>;
  for (const id of CIRCUIT_IDS) {
    const k = ks.circuits[id];
    circuits[id] = {
      zkey: path.resolve(k.zkey),
      vkey: path.resolve(k.vkey),
      zkeySha256: fileSha256(k.zkey),
      vkeySha256: fileSha256(k.vkey),
    };
  }
  return { kind: ks.kind, source: ks.source, circuits };
}

export async function deployZkclear(deployer: Signer, req: DeployRequest): Promise<DeployResult> {
  const log = req.log ?? (() => {});
  const markets = req.markets ?? defaultMarkets(req.params.markets);
  const keys = deploymentKeys(req.keys);
  if (req.keys.kind === "development")
    log(`keys: INSECURE development keys of "${req.params.name}" (never for real funds)`);
  else log(`keys: ceremony key set ${req.keys.source}`);
  for (const w of devOwnerWarnings(req.owners ?? devOwners())) log(`owners: ${w}`);
  log(`fund floor: ${req.fundFloor ?? 0n}`);
  const vkeys = readVerificationKeys(req.keys);
  const verifiers = {} as Record<CircuitId, string>;
  for (const id of CIRCUIT_IDS) verifiers[id] = compileVerifier(vkeys[id]).creation;
  const contracts = await deployContracts(deployer, { ...req, markets, verifiers });
  // Settlement computes its domain and configuration hash itself; the TypeScript twins must
  // agree, or every proof the operator makes would be refused
  const domain = deploymentDomain(contracts.chainId, contracts.addresses.settlement);
  const local = configHash({ markets, fundFloor: contracts.fundFloor, domain });
  if (contracts.domain !== domain || contracts.configHash !== local)
    throw new DeploymentError(
      "DEPLOYMENT_INVALID",
      `Settlement computed domain ${contracts.domain} and configHash ${contracts.configHash}; ` +
        `the TypeScript twins give ${domain} and ${local}`,
    );
  const deployment: Deployment = {
    chainId: contracts.chainId,
    block: contracts.block,
    paramSet: req.params,
    markets,
    fundFloor: contracts.fundFloor,
    domain: contracts.domain,
    configHash: contracts.configHash,
    owners: contracts.owners,
    genesisRoot: contracts.genesisRoot,
    maxPriceAge: contracts.maxPriceAge,
    addresses: contracts.addresses,
    oracle: {
      signers: [...req.oracle.signers],
      quorum: req.oracle.quorum,
      maxReportAge: req.oracle.maxReportAge,
      breakerMoveBps: req.oracle.breakerMoveBps ?? DEPLOY_DEFAULTS.breakerMoveBps,
      breakerCooldown: req.oracle.breakerCooldown ?? DEPLOY_DEFAULTS.breakerCooldown,
      marginRule: req.oracle.marginRule ?? DEPLOY_DEFAULTS.marginRule,
    },
    committee: { members: [...req.committee.members], threshold: req.committee.threshold },
    funding: { interval: contracts.fundingInterval, maxRatePpm: contracts.maxFundingRatePpm },
    withdrawalLimit: contracts.withdrawalLimit,
    roles: { ...contracts.roles },
    keys,
  };
  return { deployment, contracts };
}

/** Where `deploy` writes a deployment by default: artifacts/deployments/chain-<id>.json. */
export function defaultDeploymentFile(chainId: bigint | string): string {
  return path.join(ARTIFACTS, "deployments", `chain-${chainId}.json`);
}

export function saveDeployment(file: string, d: Deployment): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(toDeploymentFile(d), null, 2) + "\n");
  return file;
}

export function loadDeployment(file: string): Deployment {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new DeploymentError(
      "DEPLOYMENT_UNREADABLE",
      `cannot read the deployment ${file} (${(e as Error).message}); make one with npm run deploy`,
    );
  }
  return parseDeployment(text, file);
}
