import { getAddress } from "ethers";
import { CIRCUIT_IDS, type CircuitId } from "./circuits.ts";
import { deploymentDomain } from "./messages.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { Reader } from "./json-reader.ts";
import { validateMarkets, type MarketParams } from "./market.ts";
import {
  marketsJson,
  ownersJson,
  readConfigHash,
  readFundFloor,
  readMarkets,
  readOwners,
  readParamSet,
} from "./config-json.ts";
import { genesisRoot } from "./genesis.ts";
import type { Owners } from "./owners.ts";
import type { ParamSet } from "./params.ts";
import { withdrawalLimitProblem, type WithdrawalLimit } from "./withdrawal-limit.ts";
import { marginRuleProblem, toMarginRule, type MarginRuleNumbers } from "./volatility.ts";

/**
 * A deployment file (zkclear-deployment/2): everything the service, the CLI, the demo and
 * the auditor need to know of one deployment, written once by `deploy`: the chain, the
 * contracts' addresses and the block they were deployed in, the parameter set, the
 * markets, the insurance fund's floor and their configuration hash, the system accounts'
 * owners and the genesis root, the oracle's signers, the data
 * committee, the funding interval and rate cap (the Funding contract's immutables), the
 * Vault's withdrawal rate limit (window, bound, delay: its immutables), the roles,
 * and which keys the verifiers were made from (development or ceremony) with each key
 * file's hash. The service refuses to start when the chain or its keys do not match it.
 */
export const DEPLOYMENT_FORMAT = "zkclear-deployment/2";

export interface DeploymentAddresses {
  readonly token: string;
  readonly oracle: string;
  /** The data availability committee (Committee.sol). */
  readonly committee: string;
  readonly vault: string;
  readonly settlement: string;
  /** The funding indices (Funding.sol), created by Settlement's constructor. */
  readonly funding: string;
  readonly verifiers: Readonly<Record<CircuitId, string>>;
  readonly libraries: Readonly<Record<string, string>>;
}

/** The largest cap on |funding rate| per tick a deployment may set: Funding.MAX_RATE_CAP_PPM (10%). */
export const MAX_FUNDING_RATE_CAP_PPM = 100_000;

/** A deployment's funding parameters: Funding.sol's immutables, from Settlement's configuration. */
export interface FundingParams {
  /** Seconds per funding period: at most one tick per period of unix time. */
  readonly interval: number;
  /** The cap on |rate| per tick, parts per million of the oracle price. */
  readonly maxRatePpm: number;
}

/**
 * What is wrong with funding parameters (Funding's constructor refuses the same, with
 * BadFundingConfig), or null: the interval must be at least a second, the cap 1..100,000 ppm.
 */
export function fundingParamsProblem(f: FundingParams): string | null {
  if (!Number.isSafeInteger(f.interval) || f.interval < 1)
    return `the funding interval must be a whole number of seconds above 0, got ${f.interval}`;
  if (
    !Number.isSafeInteger(f.maxRatePpm) ||
    f.maxRatePpm < 1 ||
    f.maxRatePpm > MAX_FUNDING_RATE_CAP_PPM
  )
    return `the maximum funding rate must be 1..${MAX_FUNDING_RATE_CAP_PPM} ppm per interval, got ${f.maxRatePpm}`;
  return null;
}

export interface DeployedKey {
  /** Where the key files were when the deployment was made. */
  readonly zkey: string;
  readonly vkey: string;
  /** sha256 (hex) of each file: the service proves only with these exact keys. */
  readonly zkeySha256: string;
  readonly vkeySha256: string;
}

export interface DeploymentKeys {
  /** development: INSECURE keys made on one machine; ceremony: a phase-2 ceremony's keys. */
  readonly kind: "development" | "ceremony";
  /** "development", or the ceremony key set's directory. */
  readonly source: string;
  readonly circuits: Readonly<Record<CircuitId, DeployedKey>>;
}

export interface Deployment {
  readonly chainId: bigint;
  /** The block of the deployment (an auditor's first block). */
  readonly block: number;
  readonly paramSet: ParamSet;
  readonly markets: readonly MarketParams[];
  /** The insurance fund's floor (collateral units) the configuration binds (MarketBinding). */
  readonly fundFloor: bigint;
  /** Poseidon(chainId, Settlement): what every signed message names (messages.ts). */
  readonly domain: bigint;
  /** Poseidon(marketsHash(markets, fundFloor), domain): Settlement's configHash. */
  readonly configHash: bigint;
  /** The fee account's and the insurance fund's owners' keys, in their genesis leaves. */
  readonly owners: Owners;
  /** genesisRoot(depth, markets, owners): Settlement's first root. */
  readonly genesisRoot: bigint;
  /** Oldest oracle round (seconds) a batch may use. */
  readonly maxPriceAge: number;
  readonly addresses: DeploymentAddresses;
  readonly oracle: {
    readonly signers: readonly string[];
    readonly quorum: number;
    readonly maxReportAge: number;
    /** The circuit breaker (immutable in PriceOracle): bound in basis points, cool-down in seconds. */
    readonly breakerMoveBps: number;
    readonly breakerCooldown: number;
    /** The volatility margin rule (immutable in PriceOracle, domain/volatility.ts). */
    readonly marginRule: MarginRuleNumbers;
  };
  /** The data committee at deployment (members and k; governed later by the timelock). */
  readonly committee: {
    readonly members: readonly string[];
    readonly threshold: number;
  };
  /** The funding interval and rate cap (immutable: no role changes them). */
  readonly funding: FundingParams;
  /** The Vault's withdrawal rate limit (immutable: no role changes it). */
  readonly withdrawalLimit: WithdrawalLimit;
  /**
   * Who holds which power, by role name: `deployer`; `owner` (proposes and executes the
   * governance timelock's calls) and `timelock` (Settlement's and the oracle's
   * DEFAULT_ADMIN_ROLE); `oracleAdmin` (proposes and executes the oracle timelock's calls)
   * and `oracleTimelock` (the oracle's ORACLE_ADMIN_ROLE); `operator` (OPERATOR_ROLE:
   * submits batches); `guardian` (GUARDIAN_ROLE: pauses). See the README's security section.
   */
  readonly roles: Readonly<Record<string, string>>;
  readonly keys: DeploymentKeys;
}

export class DeploymentError extends ZkClearError<CodeOf<"batch">> {}

const dec = (v: bigint) => v.toString();

/** The deployment as its JSON file. */
export function toDeploymentFile(d: Deployment): Record<string, unknown> {
  return {
    format: DEPLOYMENT_FORMAT,
    chainId: dec(d.chainId),
    block: d.block,
    paramSet: { ...d.paramSet },
    markets: marketsJson(d.markets),
    fundFloor: dec(d.fundFloor),
    domain: dec(d.domain),
    configHash: dec(d.configHash),
    owners: ownersJson(d.owners),
    genesisRoot: dec(d.genesisRoot),
    maxPriceAge: d.maxPriceAge,
    addresses: d.addresses,
    oracle: d.oracle,
    committee: d.committee,
    funding: d.funding,
    withdrawalLimit: {
      window: d.withdrawalLimit.window,
      bound: dec(d.withdrawalLimit.bound),
      delay: d.withdrawalLimit.delay,
    },
    roles: d.roles,
    keys: d.keys,
  };
}

/**
 * Reads a deployment file, checking every field, that the configuration hash is the
 * markets' and fund floor's, and that the genesis root is the owners' (a hand-edited market
 * or owner would otherwise go unnoticed until the chain refused).
 */
export function parseDeployment(text: string, name = "deployment file"): Deployment {
  const r = Reader.parse(text, name, (m) => new DeploymentError("DEPLOYMENT_INVALID", m));
  r.only([
    "format",
    "chainId",
    "block",
    "paramSet",
    "markets",
    "fundFloor",
    "domain",
    "configHash",
    "owners",
    "genesisRoot",
    "maxPriceAge",
    "addresses",
    "oracle",
    "committee",
    "funding",
    "withdrawalLimit",
    "roles",
    "keys",
  ]);
  r.field("format").oneOf([DEPLOYMENT_FORMAT]);
  const fail = (m: string) => new DeploymentError("DEPLOYMENT_INVALID", m);
  const paramSet = readParamSet(r.field("paramSet"));
  const markets = validateMarkets(readMarkets(r.field("markets")));
  const chainId = r.field("chainId").uint();
  const a = r.field("addresses");
  a.only([
    "token",
    "oracle",
    "committee",
    "vault",
    "settlement",
    "funding",
    "verifiers",
    "libraries",
  ]);
  // checksummed, as deploy writes them: the file reads back exactly as it was written
  const addr = (x: Reader) => getAddress(`0x${x.address().toString(16).padStart(40, "0")}`);
  const settlement = addr(a.field("settlement"));
  const domain = r.field("domain").uint();
  if (domain !== deploymentDomain(chainId, settlement))
    throw fail(`${name}.domain: ${domain} is not Poseidon(chainId, Settlement address)`);
  const fundFloor = readFundFloor(r.field("fundFloor"));
  const stated = readConfigHash(r.field("configHash"), { markets, fundFloor, domain }, fail);
  if (markets.length !== paramSet.markets)
    throw new DeploymentError(
      "DEPLOYMENT_INVALID",
      `${name}: ${markets.length} markets for a parameter set of ${paramSet.markets}`,
    );
  const owners = readOwners(r.field("owners"));
  const genesis = r.field("genesisRoot").uint();
  const ownersGenesis = genesisRoot(paramSet.depth, markets.length, owners);
  if (genesis !== ownersGenesis)
    throw fail(
      `${name}.genesisRoot: ${genesis} is not the genesis root of its owners' keys (${ownersGenesis})`,
    );
  const byCircuit = <T>(x: Reader, f: (y: Reader) => T): Record<CircuitId, T> => {
    x.only(CIRCUIT_IDS);
    return Object.fromEntries(CIRCUIT_IDS.map((id) => [id, f(x.field(id))])) as Record<
      CircuitId,
      T
    >;
  };
  const libs = a.field("libraries");
  const o = r.field("oracle");
  o.only(["signers", "quorum", "maxReportAge", "breakerMoveBps", "breakerCooldown", "marginRule"]);
  const mr = o.field("marginRule");
  mr.only(["span", "refBps", "floorBps", "ceilBps", "grace"]);
  const marginRule: MarginRuleNumbers = {
    span: mr.field("span").int(),
    refBps: mr.field("refBps").int(),
    floorBps: mr.field("floorBps").int(),
    ceilBps: mr.field("ceilBps").int(),
    grace: mr.field("grace").int(),
  };
  const marginProblem = marginRuleProblem(toMarginRule(marginRule));
  if (marginProblem) throw fail(`${name}.oracle.marginRule: ${marginProblem}`);
  const cm = r.field("committee");
  cm.only(["members", "threshold"]);
  const fr = r.field("funding");
  fr.only(["interval", "maxRatePpm"]);
  const funding = {
    interval: fr.field("interval").int(),
    maxRatePpm: fr.field("maxRatePpm").int(),
  };
  const fundingProblem = fundingParamsProblem(funding);
  if (fundingProblem) throw fail(`${name}.funding: ${fundingProblem}`);
  const wl = r.field("withdrawalLimit");
  wl.only(["window", "bound", "delay"]);
  const withdrawalLimit = {
    window: wl.field("window").int(),
    bound: wl.field("bound").uint(),
    delay: wl.field("delay").int(),
  };
  const limitProblem = withdrawalLimitProblem(withdrawalLimit);
  if (limitProblem) throw fail(`${name}.withdrawalLimit: ${limitProblem}`);
  const k = r.field("keys");
  k.only(["kind", "source", "circuits"]);
  const roles = r.field("roles");
  return {
    chainId,
    block: r.field("block").int(),
    paramSet,
    markets,
    fundFloor,
    domain,
    configHash: stated,
    owners,
    genesisRoot: genesis,
    maxPriceAge: r.field("maxPriceAge").int(),
    addresses: {
      token: addr(a.field("token")),
      oracle: addr(a.field("oracle")),
      committee: addr(a.field("committee")),
      vault: addr(a.field("vault")),
      settlement,
      funding: addr(a.field("funding")),
      verifiers: byCircuit(a.field("verifiers"), addr),
      libraries: Object.fromEntries(
        Object.keys(libs.value as object).map((l) => [l, addr(libs.field(l))]),
      ),
    },
    oracle: {
      signers: o
        .field("signers")
        .array()
        .map((s) => addr(s)),
      quorum: o.field("quorum").int(),
      maxReportAge: o.field("maxReportAge").int(),
      breakerMoveBps: o.field("breakerMoveBps").int(),
      breakerCooldown: o.field("breakerCooldown").int(),
      marginRule,
    },
    committee: {
      members: cm
        .field("members")
        .array()
        .map((m) => addr(m)),
      threshold: cm.field("threshold").int(),
    },
    funding,
    withdrawalLimit,
    roles: Object.fromEntries(
      Object.keys(roles.value as object).map((role) => [role, addr(roles.field(role))]),
    ),
    keys: {
      kind: k.field("kind").oneOf(["development", "ceremony"] as const),
      source: k.field("source").str(),
      circuits: byCircuit(k.field("circuits"), (c) => {
        c.only(["zkey", "vkey", "zkeySha256", "vkeySha256"]);
        return {
          zkey: c.field("zkey").str(),
          vkey: c.field("vkey").str(),
          zkeySha256: c.field("zkeySha256").str(),
          vkeySha256: c.field("vkeySha256").str(),
        };
      }),
    },
  };
}
