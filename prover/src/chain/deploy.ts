import { breakerProblem } from "../domain/breakers.ts";
import {
  marginCeilingProblem,
  marginRuleProblem,
  toMarginRule,
  type MarginRuleNumbers,
} from "../domain/volatility.ts";
import { Contract, ContractFactory, type Signer } from "ethers";
import { CIRCUIT_IDS, CIRCUITS, type CircuitId } from "../domain/circuits.ts";
import { fundingParamsProblem, type DeploymentAddresses } from "../domain/deployment.ts";
import { withdrawalLimitProblem, type WithdrawalLimit } from "../domain/withdrawal-limit.ts";
import { readWithdrawalLimit } from "./withdrawal-limit.ts";
import { genesisRoot } from "../domain/genesis.ts";
import { marketsHash, type MarketParams } from "../domain/market.ts";
import { devOwners, validateOwners, type Owners } from "../domain/owners.ts";
import type { ParamSet } from "../domain/params.ts";
import { compileContracts, factory, loadArtifact } from "./artifacts.ts";
import { devCommitteeWallets } from "./committee.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";

export class DeployError extends ZkClearError<CodeOf<"chain">> {}

/** Defaults of the deployment parameters (`zkclear deploy` prints what it used). */
export const DEPLOY_DEFAULTS = {
  /** Oldest oracle round a batch may use, seconds. */
  maxPriceAge: 600,
  /**
   * How long after a newer round was posted a trade or withdrawal batch may still use the
   * older one, seconds: more than a batch's proving time (up to ~125 s for the bench trade
   * batch in WebAssembly), so a batch proven while a round is posted still lands.
   */
  roundGrace: 180,
  /** Development oracle signers, and the quorum of their rounds (at least 3, see PriceOracle). */
  devOracleSigners: 5,
  devOracleQuorum: 3,
  /** Seconds after which an uncredited deposit may be reclaimed. */
  depositDeadline: 86_400,
  /**
   * Seconds the operator has to answer a forced request (or credit a deposit) before anyone
   * may freeze the exchange; more than one pause (3 days).
   */
  forcedDeadline: 7 * 86_400,
  /** What a forced request costs, wei (paid to the operator when it is answered). */
  forcedRequestFee: 10n ** 15n,
  /** Seconds after a freeze during which exits are claims shared pro rata (at least a day). */
  exitWindow: 14 * 86_400,
  /**
   * The oracle's circuit breaker (immutable): a round moving a market more than this many
   * basis points from the previous round makes it reduce-only for `breakerCooldown` seconds
   * of round time (PriceOracle; domain/breakers.ts).
   */
  breakerMoveBps: 2_500,
  breakerCooldown: 900,
  /**
   * The oracle's volatility margin rule (immutable, VolatilityMargins; domain/volatility.ts):
   * a 32-round window; 1x while markets move 1% per round on average, up to 3x; a rise waits
   * an hour before liquidations use it.
   */
  marginRule: {
    span: 32,
    refBps: 100,
    floorBps: 10_000,
    ceilBps: 30_000,
    grace: 3600,
  } as MarginRuleNumbers,
  /** Minimum delay of both timelocks, seconds. */
  timelockDelay: 2 * 86_400,
  /** Development data committee: members (INSECURE keys, chain/committee.ts) and threshold. */
  devCommitteeMembers: 2,
  devCommitteeThreshold: 2,
  /**
   * Seconds before a new committee takes over, beyond the forced deadline: a user who sees a
   * change coming has this long after the freeze becomes possible to call it.
   */
  committeeDelayMargin: 2 * 86_400,
  /** Seconds per funding period: at most one funding tick per period (hourly). */
  fundingInterval: 3600,
  /** The cap on |funding rate| per tick, parts per million of the price (0.1% an hour). */
  maxFundingRatePpm: 1000,
  /** Seconds per withdrawal rate-limit window (the Vault's bound is per window): a day. */
  withdrawalWindow: 86_400,
  /**
   * What withdrawals (and exits) may be paid at once per window, token units; beyond it a
   * credit waits withdrawalDelay. Default: the largest the Vault takes (2^192 - 1), i.e. no
   * limit. A real deployment sets it from what it expects to hold (say a tenth of it a day):
   * no figure suits every token and size, so none is guessed here.
   */
  withdrawalBound: (1n << 192n) - 1n,
  /** Seconds of unpaused time a credit beyond the bound waits (at most 7 days): a day. */
  withdrawalDelay: 86_400,
} as const;

/** The data availability committee (Committee.sol): its members' addresses and k. */
export interface CommitteeSetup {
  readonly members: readonly string[];
  readonly threshold: number;
}

/** The INSECURE development committee (chain/committee.ts devCommitteeWallets). */
export function devCommittee(): CommitteeSetup {
  return {
    members: devCommitteeWallets(DEPLOY_DEFAULTS.devCommitteeMembers).map((w) => w.address),
    threshold: DEPLOY_DEFAULTS.devCommitteeThreshold,
  };
}

export interface OracleSetup {
  readonly signers: readonly string[];
  readonly quorum: number;
  /** A report older than this (seconds) is stale. */
  readonly maxReportAge: number;
  /** Per market [min, max] accepted price. */
  readonly bounds: readonly (readonly [bigint, bigint])[];
  /** The circuit breaker's bound (basis points) and cool-down (seconds); default DEPLOY_DEFAULTS. */
  readonly breakerMoveBps?: number;
  readonly breakerCooldown?: number;
  /** The volatility margin rule; default DEPLOY_DEFAULTS.marginRule. */
  readonly marginRule?: MarginRuleNumbers;
}

export interface DeployOptions {
  readonly params: ParamSet;
  readonly markets: readonly MarketParams[];
  readonly oracle: OracleSetup;
  /** The data committee; its members and threshold are governed by the governance timelock. */
  readonly committee: CommitteeSetup;
  /**
   * Seconds before a new committee takes over; more than forcedDeadline (Settlement refuses
   * less). Default: forcedDeadline + DEPLOY_DEFAULTS.committeeDelayMargin.
   */
  readonly committeeDelay?: number;
  /**
   * Each circuit's verifier as creation bytecode (hex): the verifier generated from the
   * key set's verification key (proving/verifier-contract.ts).
   */
  readonly verifiers: Readonly<Record<CircuitId, string>>;
  /** An existing ERC20 collateral token; a TestToken is deployed when absent. */
  readonly token?: string;
  /** Oldest oracle round a batch may use, seconds (default DEPLOY_DEFAULTS.maxPriceAge). */
  readonly maxPriceAge?: number;
  /** Grace after a newer round for trade and withdrawal batches, seconds. */
  readonly roundGrace?: number;
  /** Smallest deposit, token units (default: one whole token, 10^decimals). */
  readonly minDeposit?: bigint;
  /** Seconds after which an uncredited deposit may be reclaimed. */
  readonly depositDeadline?: number;
  /** Seconds before an unanswered forced request or uncredited deposit lets anyone freeze. */
  readonly forcedDeadline?: number;
  /** What a forced request costs, wei. */
  readonly forcedRequestFee?: bigint;
  /** Seconds after a freeze during which exits are claims shared pro rata. */
  readonly exitWindow?: number;
  /** Minimum delay of the timelocks, seconds. */
  readonly timelockDelay?: number;
  /** Seconds per funding period (default DEPLOY_DEFAULTS.fundingInterval). */
  readonly fundingInterval?: number;
  /** The cap on |funding rate| per tick, ppm of the price (default DEPLOY_DEFAULTS.maxFundingRatePpm). */
  readonly maxFundingRatePpm?: number;
  /** Seconds per withdrawal window (default DEPLOY_DEFAULTS.withdrawalWindow). */
  readonly withdrawalWindow?: number;
  /** What credits may pay at once per window, token units (default: no limit). */
  readonly withdrawalBound?: bigint;
  /** Seconds a credit beyond the bound waits, 1..7 days (default DEPLOY_DEFAULTS.withdrawalDelay). */
  readonly withdrawalDelay?: number;
  /**
   * The fee account's and the insurance fund's owners' keys (domain/owners.ts), put in
   * their genesis leaves; default: the INSECURE development owners (devOwners).
   */
  readonly owners?: Owners;
  /** The insurance fund's floor (collateral units) the configuration binds; default 0. */
  readonly fundFloor?: bigint;
  /** Proposer and executor of the governance timelock (Settlement's and the oracle's admin); default: the deployer. */
  readonly owner?: string;
  /** Proposer and executor of the oracle's timelock (signers, quorum, bounds); default: the owner. */
  readonly oracleAdmin?: string;
  /** Who submits batches; default: the deployer. */
  readonly operator?: string;
  /** Who may pause (for at most 3 days at a time); default: the deployer. */
  readonly guardian?: string;
  /**
   * TEST ONLY: verifier addresses to use instead of deploying the generated ones (the
   * auditor's tests deploy with an accept-all or a foreign-key verifier to show they are
   * caught).
   */
  readonly verifierOverrides?: Partial<Record<CircuitId, string>>;
}

/**
 * Who holds which power in a deployment. `timelock` holds DEFAULT_ADMIN_ROLE of Settlement
 * and of the oracle (grants and revokes every role, after its delay); `owner` proposes and
 * executes its calls. `oracleTimelock` holds the oracle's ORACLE_ADMIN_ROLE (signers and
 * quorum, bounds, report age); `oracleAdmin` proposes and executes its calls.
 */
export interface DeploymentRoles {
  readonly deployer: string;
  readonly owner: string;
  readonly timelock: string;
  readonly oracleAdmin: string;
  readonly oracleTimelock: string;
  readonly operator: string;
  readonly guardian: string;
}

/** The contracts of a deployment, connected to the deployer. */
export interface DeployedContracts {
  readonly addresses: DeploymentAddresses;
  readonly chainId: bigint;
  /** The block of the first deployment transaction (where an audit starts). */
  readonly block: number;
  readonly genesisRoot: bigint;
  /** The owners in the genesis leaves and the fund floor in marketsHash. */
  readonly owners: Owners;
  readonly fundFloor: bigint;
  /** Settlement's domain and configHash, as it computed them. */
  readonly domain: bigint;
  readonly configHash: bigint;
  readonly maxPriceAge: number;
  readonly roundGrace: number;
  readonly minDeposit: bigint;
  readonly depositDeadline: number;
  readonly forcedDeadline: number;
  readonly forcedRequestFee: bigint;
  readonly exitWindow: number;
  readonly timelockDelay: number;
  /** The Funding contract's interval (seconds) and rate cap (ppm), as it holds them. */
  readonly fundingInterval: number;
  readonly maxFundingRatePpm: number;
  /** The Vault's withdrawal rate limit (window s, bound, delay s), as it holds them. */
  readonly withdrawalLimit: WithdrawalLimit;
  readonly roles: DeploymentRoles;
  readonly token: Contract;
  readonly timelock: Contract;
  readonly oracleTimelock: Contract;
  readonly oracle: Contract;
  readonly committee: Contract;
  readonly vault: Contract;
  readonly settlement: Contract;
  /** The Funding contract Settlement created. */
  readonly funding: Contract;
}

/** The smallest quorum the oracle accepts (PriceOracle.MIN_QUORUM). */
export const MIN_ORACLE_QUORUM = 3;

/**
 * The default maximum report age for a price age: a fifth of it (120 s for 600 s), so a
 * round made of the oldest admissible reports is still usable for most of maxPriceAge.
 */
export function defaultMaxReportAge(maxPriceAge: number): number {
  return Math.max(1, Math.floor(maxPriceAge / 5));
}

/**
 * Refuses timing parameters that make the price rule meaningless (Settlement's constructor
 * refuses them too): maxPriceAge 0, a grace longer than the price age, or an oracle report
 * age at or above the price age (a round of old reports would be stale, or nearly, when
 * posted).
 */
export function checkTiming(maxPriceAge: number, roundGrace: number, maxReportAge: number): void {
  if (!(maxPriceAge > 0))
    throw new DeployError("DEPLOY_INVALID", `maxPriceAge must be above 0 seconds`);
  if (roundGrace > maxPriceAge)
    throw new DeployError(
      "DEPLOY_INVALID",
      `roundGrace ${roundGrace} s is more than maxPriceAge ${maxPriceAge} s`,
    );
  if (maxReportAge >= maxPriceAge)
    throw new DeployError(
      "DEPLOY_INVALID",
      `the oracle's maxReportAge ${maxReportAge} s must be below maxPriceAge ${maxPriceAge} s`,
    );
}

/** Refuses a rate limit the Vault's constructor would refuse (BadWithdrawalLimit). */
export function checkWithdrawalLimit(l: WithdrawalLimit): void {
  const problem = withdrawalLimitProblem(l);
  if (problem) throw new DeployError("DEPLOY_INVALID", problem);
}

/** Refuses funding parameters Funding's constructor would refuse (BadFundingConfig). */
export function checkFunding(interval: number, maxRatePpm: number): void {
  const problem = fundingParamsProblem({ interval, maxRatePpm });
  if (problem) throw new DeployError("DEPLOY_INVALID", problem);
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
 * Deploys zkclear: the Poseidon libraries, one verifier per circuit, the two timelocks
 * (governance and oracle), the price oracle, the data committee, the vault (and a test token if none is given)
 * and the Settlement contract (which creates the Funding contract), wired together. The
 * contracts must have been compiled (prepareContracts). Every role is granted in a
 * constructor; the deployer keeps none (beyond those the options give it).
 */
export async function deployContracts(
  deployer: Signer,
  opts: DeployOptions,
): Promise<DeployedContracts> {
  const p = opts.params;
  const markets = opts.markets;
  const me = await deployer.getAddress();
  const owner = opts.owner ?? me;
  const oracleAdmin = opts.oracleAdmin ?? owner;
  const operator = opts.operator ?? me;
  const guardian = opts.guardian ?? me;
  const timelockDelay = opts.timelockDelay ?? DEPLOY_DEFAULTS.timelockDelay;
  // refused before anything is deployed (the contracts refuse them too)
  const o = opts.oracle;
  const maxPriceAge = opts.maxPriceAge ?? DEPLOY_DEFAULTS.maxPriceAge;
  const roundGrace = opts.roundGrace ?? DEPLOY_DEFAULTS.roundGrace;
  checkTiming(maxPriceAge, roundGrace, o.maxReportAge);
  const fundingInterval = opts.fundingInterval ?? DEPLOY_DEFAULTS.fundingInterval;
  const maxFundingRatePpm = opts.maxFundingRatePpm ?? DEPLOY_DEFAULTS.maxFundingRatePpm;
  checkFunding(fundingInterval, maxFundingRatePpm);
  const limit: WithdrawalLimit = {
    window: opts.withdrawalWindow ?? DEPLOY_DEFAULTS.withdrawalWindow,
    bound: opts.withdrawalBound ?? DEPLOY_DEFAULTS.withdrawalBound,
    delay: opts.withdrawalDelay ?? DEPLOY_DEFAULTS.withdrawalDelay,
  };
  checkWithdrawalLimit(limit);
  if (o.quorum < MIN_ORACLE_QUORUM || o.quorum < Math.floor(o.signers.length / 2) + 1)
    throw new DeployError(
      "DEPLOY_INVALID",
      `oracle quorum ${o.quorum} of ${o.signers.length} signers: it must be at least ${MIN_ORACLE_QUORUM} and a majority`,
    );
  const cm = opts.committee;
  if (cm.threshold < 1 || cm.threshold > cm.members.length)
    throw new DeployError(
      "DEPLOY_INVALID",
      `committee threshold ${cm.threshold} of ${cm.members.length} members: it must be 1..${cm.members.length}`,
    );
  // a new committee takes over only after the forced deadline (and a margin): Settlement
  // refuses less, checked here before anything is deployed
  const forcedDeadline = opts.forcedDeadline ?? DEPLOY_DEFAULTS.forcedDeadline;
  const committeeDelay =
    opts.committeeDelay ?? forcedDeadline + DEPLOY_DEFAULTS.committeeDelayMargin;
  if (committeeDelay <= forcedDeadline)
    throw new DeployError(
      "DEPLOY_INVALID",
      `committee change delay ${committeeDelay} s must be above the forced deadline ${forcedDeadline} s`,
    );
  if (o.bounds.length !== markets.length)
    throw new DeployError(
      "DEPLOY_INVALID",
      `the oracle needs one [min, max] price range per market: ${o.bounds.length} for ${markets.length} markets`,
    );
  const breaker = breakerProblem(
    o.breakerMoveBps ?? DEPLOY_DEFAULTS.breakerMoveBps,
    o.breakerCooldown ?? DEPLOY_DEFAULTS.breakerCooldown,
  );
  if (breaker) throw new DeployError("DEPLOY_INVALID", breaker);
  const marginRule = o.marginRule ?? DEPLOY_DEFAULTS.marginRule;
  const margins =
    marginRuleProblem(toMarginRule(marginRule)) ??
    marginCeilingProblem(toMarginRule(marginRule), markets);
  if (margins) throw new DeployError("DEPLOY_INVALID", margins);
  const send = async (c: Contract, method: string, ...args: unknown[]) => {
    const tx = await c.getFunction(method)(...args);
    return tx.wait();
  };

  const firstBlock = (await deployer.provider!.getBlockNumber()) + 1;
  const libraries: Record<string, string> = {};
  // T2..T5 hash the funding indices (Funding.sol), T3..T6 a round's prices (Settlement)
  for (const lib of ["PoseidonT2", "PoseidonT3", "PoseidonT4", "PoseidonT5", "PoseidonT6"]) {
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

  const timelockOf = (proposer: string) =>
    deployed(
      factory("Timelock", deployer).deploy(
        timelockDelay,
        [proposer],
        [proposer],
      ) as Promise<Contract>,
    );
  const timelock = await timelockOf(owner);
  const oracleTimelock = await timelockOf(oracleAdmin);

  const oracle = await deployed(
    factory("PriceOracle", deployer).deploy({
      admin: await timelock.getAddress(),
      oracleAdmin: await oracleTimelock.getAddress(),
      marketCount: markets.length,
      maxAge: o.maxReportAge,
      quorum: o.quorum,
      signers: [...o.signers],
      minPrices: o.bounds.map((b) => b[0]),
      maxPrices: o.bounds.map((b) => b[1]),
      breakerMoveBps: o.breakerMoveBps ?? DEPLOY_DEFAULTS.breakerMoveBps,
      breakerCooldown: o.breakerCooldown ?? DEPLOY_DEFAULTS.breakerCooldown,
      margins: marginRule,
    }) as Promise<Contract>,
  );

  // the committee's members and threshold change only through the governance timelock
  const committee = await deployed(
    factory("Committee", deployer).deploy(
      await timelock.getAddress(),
      await timelock.getAddress(),
      [...cm.members],
      cm.threshold,
      committeeDelay,
    ) as Promise<Contract>,
  );

  const minDeposit =
    opts.minDeposit ??
    10n **
      BigInt(
        await token
          .getFunction("decimals")()
          .catch(() => 0n),
      );
  const depositDeadline = opts.depositDeadline ?? DEPLOY_DEFAULTS.depositDeadline;
  const vault = await deployed(
    factory("Vault", deployer, libraries).deploy(
      await token.getAddress(),
      p.depth,
      minDeposit,
      depositDeadline,
      limit.window,
      limit.bound,
      limit.delay,
    ) as Promise<Contract>,
  );
  const owners = validateOwners(opts.owners ?? devOwners());
  const fundFloor = opts.fundFloor ?? 0n;
  const genesis = genesisRoot(p.depth, markets.length, owners);
  // Settlement stores Poseidon(marketsHash, domain) and never recomputes marketsHash: the
  // fund floor is bound by being hashed in here (MarketBinding's marketsHash)
  const mh = marketsHash(markets, fundFloor);
  const forcedRequestFee = opts.forcedRequestFee ?? DEPLOY_DEFAULTS.forcedRequestFee;
  const exitWindow = opts.exitWindow ?? DEPLOY_DEFAULTS.exitWindow;
  // each circuit's verifier goes in the constructor field named like its getter
  const circuitVerifiers = Object.fromEntries(
    CIRCUIT_IDS.map((id) => [CIRCUITS[id].verifierGetter, verifiers[id]]),
  );
  const settlement = await deployed(
    factory("Settlement", deployer, libraries).deploy({
      ...circuitVerifiers,
      oracle: await oracle.getAddress(),
      vault: await vault.getAddress(),
      committee: await committee.getAddress(),
      marketsHash: mh,
      marketCount: markets.length,
      withdrawalSlots: p.withdrawals,
      maxPriceAge,
      roundGrace,
      forcedDeadline,
      forcedRequestFee,
      exitWindow,
      genesisRoot: genesis,
      admin: await timelock.getAddress(),
      operator,
      guardian,
      fundingInterval,
      maxFundingRatePpm,
    }) as Promise<Contract>,
  );
  const funding = new Contract(
    String(await settlement.getFunction("funding")()),
    loadArtifact("Funding").abi,
    deployer,
  );
  await send(vault, "setSettlement", await settlement.getAddress());
  // the oracle announces every round to Settlement (its latest round, without a call)
  await send(oracle, "setConsumer", await settlement.getAddress());
  const network = await deployer.provider!.getNetwork();
  return {
    addresses: {
      token: await token.getAddress(),
      oracle: await oracle.getAddress(),
      committee: await committee.getAddress(),
      vault: await vault.getAddress(),
      settlement: await settlement.getAddress(),
      funding: await funding.getAddress(),
      verifiers,
      libraries,
    },
    chainId: network.chainId,
    block: firstBlock,
    genesisRoot: genesis,
    owners,
    fundFloor,
    domain: BigInt(await settlement.getFunction("domain")()),
    configHash: BigInt(await settlement.getFunction("configHash")()),
    maxPriceAge,
    roundGrace,
    minDeposit,
    depositDeadline,
    forcedDeadline,
    forcedRequestFee,
    exitWindow,
    timelockDelay,
    fundingInterval: Number(await funding.getFunction("interval")()),
    maxFundingRatePpm: Number(await funding.getFunction("maxRatePpm")()),
    withdrawalLimit: await readWithdrawalLimit(vault),
    roles: {
      deployer: me,
      owner,
      timelock: await timelock.getAddress(),
      oracleAdmin,
      oracleTimelock: await oracleTimelock.getAddress(),
      operator,
      guardian,
    },
    token,
    timelock,
    oracleTimelock,
    oracle,
    committee,
    vault,
    settlement,
    funding,
  };
}
