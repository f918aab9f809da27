import type { Provider } from "ethers";
import type { VerificationKey } from "snarkjs";
import type { CircuitId } from "../domain/circuits.ts";
import { configHash } from "../domain/market.ts";
import { deploymentDomain } from "../domain/messages.ts";

const chainIdOf = async (p: Provider) => (await p.getNetwork()).chainId;
import type { PublishedConfig } from "../engine/batch-file.ts";
import type { SettlementInfo } from "./chain.ts";
import type { Finding } from "./findings.ts";
import { matchVerifier } from "../proving/verifier-contract.ts";

/**
 * The deployment's checks, made once per audit: the Vault takes credits from this
 * Settlement, Settlement's configuration hash and dimensions are the published
 * configuration's, and every on-chain verifier is exactly the verifier the local
 * verification key makes (bytecode compared).
 */
export async function deploymentFindings(
  info: SettlementInfo,
  config: PublishedConfig,
  vkeys: Readonly<Record<CircuitId, VerificationKey>>,
  provider: Provider,
): Promise<Finding[]> {
  const found: Finding[] = [];
  const { paramSet: ps, markets } = config;
  if (info.vaultSettlement !== info.address)
    found.push({
      code: "CONFIG_MISMATCH",
      message: `the Vault ${info.vault} takes credits from ${info.vaultSettlement}, not from this Settlement`,
    });
  const local = configHash(markets, deploymentDomain(await chainIdOf(provider), info.address));
  if (local !== info.configHash)
    found.push({
      code: "CONFIG_MISMATCH",
      message: `Settlement's configHash is ${info.configHash}, the published markets with this deployment's domain hash to ${local}`,
    });
  if (info.marketCount !== markets.length || info.withdrawalSlots !== ps.withdrawals)
    found.push({
      code: "CONFIG_MISMATCH",
      message:
        `Settlement has ${info.marketCount} markets and ${info.withdrawalSlots} withdrawal slots, ` +
        `parameter set "${ps.name}" has ${markets.length} and ${ps.withdrawals}`,
    });
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
