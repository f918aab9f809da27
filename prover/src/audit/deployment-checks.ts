import { Contract, getAddress, type Provider } from "ethers";
import type { VerificationKey } from "snarkjs";
import type { CircuitId } from "../domain/circuits.ts";
import { configHash } from "../domain/market.ts";
import { genesisRoot } from "../domain/genesis.ts";
import { deploymentDomain } from "../domain/messages.ts";
import { fundingParamsProblem, type FundingParams } from "../domain/deployment.ts";
import { withdrawalLimitProblem, type WithdrawalLimit } from "../domain/withdrawal-limit.ts";

const chainIdOf = async (p: Provider) => (await p.getNetwork()).chainId;
import type { PublishedConfig } from "../engine/batch-file.ts";
import type { SettlementInfo } from "./chain.ts";
import type { Finding } from "./findings.ts";
import { matchVerifier } from "../proving/verifier-contract.ts";

/**
 * What the auditor reads of Settlement's Funding contract: its immutables (fundingFindings)
 * and the indices in effect at a round (views and events, for the batch checks). Written
 * out, as chain.ts does for Settlement's: an auditor needs no compiled artifacts.
 */
export const FUNDING_ABI = [
  "function settlement() view returns (address)",
  "function oracle() view returns (address)",
  "function marketCount() view returns (uint8)",
  "function interval() view returns (uint64)",
  "function maxRatePpm() view returns (uint32)",
  "function maxPriceAge() view returns (uint64)",
  "function hashOf(uint64 roundId) view returns (uint256)",
  "function indicesOf(uint64 roundId) view returns (int64[])",
  "event FundingTicked(uint64 indexed tick, uint64 fromRound, uint64 priceRound, int32[] ratesPpm, int64[] indices)",
];
const SETTLEMENT_FUNDING_ABI = ["function funding() view returns (address)"];
/** The Vault's rate limit (WithdrawalLimit.sol's immutables). */
export const VAULT_LIMIT_ABI = [
  "function withdrawalWindow() view returns (uint64)",
  "function withdrawalBound() view returns (uint256)",
  "function withdrawalDelay() view returns (uint64)",
];
const GENESIS_ABI = [
  "function batchCount() view returns (uint64)",
  "function stateRoot() view returns (uint256)",
];

/**
 * The deployment's checks, made once per audit: the Vault takes credits from this
 * Settlement, Settlement's configuration hash (markets and fund floor) and dimensions are
 * the published configuration's, its root before any batch is the published owners'
 * genesis root (the owner keys now are judged at the head: owner-checks.ts), its Funding contract is its own (fundingFindings), and every on-chain
 * verifier is exactly the verifier the local verification key makes (bytecode compared).
 * `funding`: the interval and rate cap the deployment states, when the auditor has them;
 * `limit`: the Vault's withdrawal rate limit the deployment states (withdrawalLimitFindings).
 */
export async function deploymentFindings(
  info: SettlementInfo,
  config: PublishedConfig,
  vkeys: Readonly<Record<CircuitId, VerificationKey>>,
  provider: Provider,
  funding?: FundingParams,
  limit?: WithdrawalLimit,
): Promise<Finding[]> {
  const found: Finding[] = [];
  const { paramSet: ps, markets } = config;
  if (info.vaultSettlement !== info.address)
    found.push({
      code: "CONFIG_MISMATCH",
      message: `the Vault ${info.vault} takes credits from ${info.vaultSettlement}, not from this Settlement`,
    });
  const local = configHash({
    markets,
    fundFloor: config.fundFloor,
    domain: deploymentDomain(await chainIdOf(provider), info.address),
  });
  if (local !== info.configHash)
    found.push({
      code: "CONFIG_MISMATCH",
      message: `Settlement's configHash is ${info.configHash}, the published markets and fund floor ${config.fundFloor} with this deployment's domain hash to ${local}`,
    });
  // before the first batch Settlement's root is its genesis root: the published owners' keys
  // must make it (afterwards the first batch's old root is checked against it, GENESIS_MISMATCH)
  const settlement = new Contract(info.address, GENESIS_ABI, provider);
  if (BigInt(String(await settlement.getFunction("batchCount")())) === 0n) {
    const root = BigInt(String(await settlement.getFunction("stateRoot")()));
    const genesis = genesisRoot(ps.depth, markets.length, config.owners);
    if (root !== genesis)
      found.push({
        code: "GENESIS_MISMATCH",
        message: `Settlement's root before any batch is ${root}, the genesis root of the published owners' keys is ${genesis}`,
      });
  }
  if (info.marketCount !== markets.length || info.withdrawalSlots !== ps.withdrawals)
    found.push({
      code: "CONFIG_MISMATCH",
      message:
        `Settlement has ${info.marketCount} markets and ${info.withdrawalSlots} withdrawal slots, ` +
        `parameter set "${ps.name}" has ${markets.length} and ${ps.withdrawals}`,
    });
  found.push(...(await fundingFindings(info, provider, funding)));
  if (limit) found.push(...(await withdrawalLimitFindings(info, provider, limit)));
  for (const [circuit, address] of Object.entries(info.verifiers) as [CircuitId, string][]) {
    const m = matchVerifier(await provider.getCode(address), vkeys[circuit]);
    if (!m.match)
      found.push({
        code: "VERIFIER_MISMATCH",
        message: `the ${circuit} verifier at ${address} is not the local key's verifier: ${m.detail}`,
      });
  }
  return found;
}

/**
 * Settlement's Funding contract (whose hashOf every round's binding folds in): it names this
 * Settlement, reads this oracle, has as many markets and the same price age, its interval
 * and rate cap are within bounds, and are `expected`'s when given (both immutable there).
 */
export async function fundingFindings(
  info: SettlementInfo,
  provider: Provider,
  expected?: FundingParams,
): Promise<Finding[]> {
  const mismatch = (message: string): Finding[] => [{ code: "CONFIG_MISMATCH", message }];
  const settlement = new Contract(info.address, SETTLEMENT_FUNDING_ABI, provider);
  let at: string;
  try {
    at = getAddress(String(await settlement.getFunction("funding")()));
  } catch (e) {
    return mismatch(
      `Settlement has no Funding contract (funding(): ${(e as Error).message}): its bindings bind no funding indices`,
    );
  }
  if ((await provider.getCode(at)) === "0x")
    return mismatch(`Settlement's Funding ${at} has no code`);
  const f = new Contract(at, FUNDING_ABI, provider);
  const read = async (name: string) => (await f.getFunction(name)()) as unknown;
  const owner = getAddress(String(await read("settlement")));
  const oracle = getAddress(String(await read("oracle")));
  const markets = Number(await read("marketCount"));
  const maxPriceAge = BigInt(String(await read("maxPriceAge")));
  const params = {
    interval: Number(await read("interval")),
    maxRatePpm: Number(await read("maxRatePpm")),
  };
  const found: Finding[] = [];
  if (
    owner !== info.address ||
    oracle !== getAddress(info.oracle) ||
    markets !== info.marketCount ||
    maxPriceAge !== info.maxPriceAge
  )
    found.push(
      ...mismatch(
        `Settlement's Funding ${at} names Settlement ${owner}, oracle ${oracle}, ${markets} markets and a price age of ${maxPriceAge} s; ` +
          `Settlement is ${info.address} with oracle ${info.oracle}, ${info.marketCount} markets and ${info.maxPriceAge} s`,
      ),
    );
  const problem = fundingParamsProblem(params);
  if (problem) found.push(...mismatch(`Settlement's Funding ${at}: ${problem}`));
  if (
    expected &&
    (params.interval !== expected.interval || params.maxRatePpm !== expected.maxRatePpm)
  )
    found.push(
      ...mismatch(
        `Settlement's Funding ticks at most every ${params.interval} s with |rate| <= ${params.maxRatePpm} ppm; ` +
          `the deployment states ${expected.interval} s and ${expected.maxRatePpm} ppm`,
      ),
    );
  return found;
}

/**
 * The Vault's withdrawal rate limit (immutable there): within the bounds its constructor
 * takes, and the window, bound and delay the deployment states.
 */
export async function withdrawalLimitFindings(
  info: SettlementInfo,
  provider: Provider,
  expected: WithdrawalLimit,
): Promise<Finding[]> {
  const vault = new Contract(info.vault, VAULT_LIMIT_ABI, provider);
  let held: WithdrawalLimit;
  try {
    held = {
      window: Number(await vault.getFunction("withdrawalWindow")()),
      bound: BigInt(String(await vault.getFunction("withdrawalBound")())),
      delay: Number(await vault.getFunction("withdrawalDelay")()),
    };
  } catch (e) {
    return [
      {
        code: "CONFIG_MISMATCH",
        message: `the Vault ${info.vault} has no withdrawal rate limit (${(e as Error).message}); the deployment states one`,
      },
    ];
  }
  const found: Finding[] = [];
  const problem = withdrawalLimitProblem(held);
  if (problem)
    found.push({ code: "CONFIG_MISMATCH", message: `the Vault ${info.vault}: ${problem}` });
  if (
    held.window !== expected.window ||
    held.bound !== expected.bound ||
    held.delay !== expected.delay
  )
    found.push({
      code: "CONFIG_MISMATCH",
      message:
        `the Vault pays at once at most ${held.bound} per ${held.window} s window and delays the rest ${held.delay} s; ` +
        `the deployment states ${expected.bound} per ${expected.window} s and ${expected.delay} s`,
    });
  return found;
}
