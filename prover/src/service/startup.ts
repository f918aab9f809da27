import { Contract, getAddress, type Provider } from "ethers";
import { BATCH_KIND_NAMES, BATCH_KINDS } from "../domain/batch-kinds.ts";
import { CIRCUIT_IDS, CIRCUITS } from "../domain/circuits.ts";
import type { Deployment } from "../domain/deployment.ts";
import { ZkClearError } from "../domain/errors.ts";
import { configHash } from "../domain/market.ts";
import { deploymentDomain } from "../domain/messages.ts";
import { readWithdrawalLimit } from "../chain/withdrawal-limit.ts";
import { loadArtifact } from "../chain/artifacts.ts";
import {
  ceremonyKeySet,
  checkKeySet,
  devKeySet,
  fileSha256,
  readVerificationKeys,
  type KeySet,
} from "../proving/key-sets.ts";
import { matchVerifier } from "../proving/verifier-contract.ts";

export type StartupErrorCode =
  | "DEPLOYMENT_CHAIN_MISMATCH"
  | "DEPLOYMENT_NOT_FOUND"
  | "CONFIG_MISMATCH"
  | "VERIFIER_MISMATCH"
  | "KEY_MISMATCH";

/** Why the service refuses to start: its deployment file, the chain and its keys disagree. */
export class StartupError extends ZkClearError {
  declare readonly code: StartupErrorCode;
  constructor(code: StartupErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * The key set a deployment was made with: its development keys, or its ceremony key set's
 * directory (or `override`, the same keys moved to another directory).
 */
export function deploymentKeySet(d: Deployment, override?: string): KeySet {
  if (override) return ceremonyKeySet(override);
  return d.keys.kind === "development" ? devKeySet(d.paramSet) : ceremonyKeySet(d.keys.source);
}

/**
 * Checks, before the service starts, that it can prove batches the chain will accept:
 * the chain is the deployment's, Settlement's configuration hash is the deployment's
 * markets', its Funding contract and funding parameters are the file's, the Vault's withdrawal
 * rate limit is the file's, every verifier Settlement calls is exactly the verifier of the key the
 * service proves with, and the keys on disk are the ones the deployment recorded. Throws
 * a StartupError saying which differs. Nothing is built or made here: a missing key or
 * circuit build is a KeySetError naming the command that makes it.
 */
export async function checkDeployment(
  d: Deployment,
  provider: Provider,
  keys: KeySet,
): Promise<void> {
  const chainId = (await provider.getNetwork()).chainId;
  if (chainId !== d.chainId)
    throw new StartupError(
      "DEPLOYMENT_CHAIN_MISMATCH",
      `the deployment is on chain ${d.chainId}, the node at hand serves chain ${chainId}`,
    );
  const at = d.addresses.settlement;
  if ((await provider.getCode(at)) === "0x")
    throw new StartupError(
      "DEPLOYMENT_NOT_FOUND",
      `no contract at the deployment's Settlement ${at} on chain ${chainId}: redeploy or pick the right --deployment`,
    );
  const settlement = new Contract(at, loadArtifact("Settlement").abi, provider);
  const onChain = BigInt(await settlement.getFunction("configHash")());
  const local = configHash({
    markets: d.markets,
    fundFloor: d.fundFloor,
    domain: deploymentDomain(chainId, at),
  });
  if (onChain !== d.configHash || local !== d.configHash)
    throw new StartupError(
      "CONFIG_MISMATCH",
      `Settlement's configHash is ${onChain}; the deployment file says ${d.configHash} and its markets and fund floor hash to ${local}`,
    );
  await checkFundingOf(d, settlement, provider);
  await checkWithdrawalLimitOf(d, provider);
  checkKeySet(keys, d.paramSet);
  for (const id of CIRCUIT_IDS) {
    const recorded = d.keys.circuits[id];
    const files = keys.circuits[id];
    if (
      fileSha256(files.zkey) !== recorded.zkeySha256 ||
      fileSha256(files.vkey) !== recorded.vkeySha256
    )
      throw new StartupError(
        "KEY_MISMATCH",
        `the ${id} keys at ${files.zkey} are not the ones the deployment was made with (sha256 differs from the deployment file's)`,
      );
  }
  const vkeys = readVerificationKeys(keys);
  for (const k of BATCH_KIND_NAMES) {
    const spec = BATCH_KINDS[k];
    const address = getAddress(
      String(await settlement.getFunction(CIRCUITS[spec.circuit].verifierGetter)()),
    );
    const m = matchVerifier(await provider.getCode(address), vkeys[spec.circuit]);
    if (!m.match)
      throw new StartupError(
        "VERIFIER_MISMATCH",
        `Settlement's ${k} verifier at ${address} is not the verifier of the ${keys.kind} key the service would prove with (${files(keys, spec.circuit)}): ${m.detail}`,
      );
  }
}

/** Settlement's Funding contract is the file's, with the file's interval and rate cap. */
async function checkFundingOf(d: Deployment, settlement: Contract, provider: Provider) {
  const at = getAddress(String(await settlement.getFunction("funding")()));
  const funding = new Contract(at, loadArtifact("Funding").abi, provider);
  const interval = Number(await funding.getFunction("interval")());
  const maxRatePpm = Number(await funding.getFunction("maxRatePpm")());
  if (
    at !== getAddress(d.addresses.funding) ||
    interval !== d.funding.interval ||
    maxRatePpm !== d.funding.maxRatePpm
  )
    throw new StartupError(
      "CONFIG_MISMATCH",
      `Settlement's Funding is ${at} (a tick per ${interval} s, |rate| <= ${maxRatePpm} ppm); ` +
        `the deployment file says ${d.addresses.funding} (${d.funding.interval} s, ${d.funding.maxRatePpm} ppm)`,
    );
}

/** The Vault's withdrawal rate limit (window, bound, delay) is the file's. */
async function checkWithdrawalLimitOf(d: Deployment, provider: Provider) {
  const held = await readWithdrawalLimit(
    new Contract(d.addresses.vault, loadArtifact("Vault").abi, provider),
  );
  const l = d.withdrawalLimit;
  if (held.window !== l.window || held.bound !== l.bound || held.delay !== l.delay)
    throw new StartupError(
      "CONFIG_MISMATCH",
      `the Vault's withdrawal limit is ${held.bound} per ${held.window} s window, ${held.delay} s delay; ` +
        `the deployment file says ${l.bound} per ${l.window} s, ${l.delay} s`,
    );
}

function files(keys: KeySet, id: keyof KeySet["circuits"]): string {
  return keys.circuits[id].vkey;
}
