import { breakerProblem } from "../domain/breakers.ts";
import { marginRuleProblem, toMarginRule, type MarginRuleNumbers } from "../domain/volatility.ts";
import fs from "node:fs";
import type { Command } from "commander";
import type { PublicKey } from "../domain/account.ts";
import type { Keystore } from "../domain/keystore.ts";
import { FUND_FLOOR_BITS } from "../domain/market.ts";
import {
  DEV_CHAIN_ID,
  devOwnerRoles,
  devOwners,
  formatPublicKey,
  parsePublicKey,
  validateOwners,
  type Owners,
} from "../domain/owners.ts";
import { getAddress, JsonRpcProvider, Wallet, type Signer } from "ethers";
import { paramSet } from "../domain/params.ts";
import {
  checkFunding,
  checkTiming,
  checkWithdrawalLimit,
  defaultMaxReportAge,
  DEPLOY_DEFAULTS,
  MIN_ORACLE_QUORUM,
  prepareContracts,
} from "../chain/deploy.ts";
import { defaultDeploymentFile, deployZkclear, saveDeployment } from "../deploy/deploy.ts";
import { checkKeys, keySetFrom } from "../proving/key-sets.ts";
import { devOracleWallets } from "../service/feeder.ts";
import { devCommitteeWallets } from "../chain/committee.ts";
import { bigintArg, CliError, print, type Output } from "./common.ts";

/** The smallest quorum the oracle takes for `n` signers: a majority, and at least 3. */
export function majority(n: number): number {
  return Math.max(MIN_ORACLE_QUORUM, Math.floor(n / 2) + 1);
}

/** Hardhat's development chain id: the only chain where shared role keys are merely warned about. */
export { DEV_CHAIN_ID };

/**
 * What is wrong with the roles of a deployment on `chainId`: outside development the guardian
 * and the operator must not be the owner's key (one key would then pause, submit and
 * administer every role), unless `allowShared`. Returns the refusal (or null) and the
 * warnings to print.
 */
export function sharedKeyCheck(
  chainId: bigint,
  roles: { owner: string; operator: string; guardian: string },
  allowShared: boolean,
): { refusal: string | null; warnings: string[] } {
  const shared = (["guardian", "operator"] as const).filter(
    (r) => getAddress(roles[r]) === getAddress(roles.owner),
  );
  if (shared.length === 0) return { refusal: null, warnings: [] };
  const what = `the ${shared.join(" and the ")} ${shared.length > 1 ? "are" : "is"} the owner's key ${roles.owner}`;
  if (chainId === DEV_CHAIN_ID)
    return {
      refusal: null,
      warnings: [`WARNING: ${what} (acceptable on the development chain only)`],
    };
  if (allowShared) return { refusal: null, warnings: [`WARNING: ${what} (--allow-shared-keys)`] };
  return {
    refusal: `${what} on chain ${chainId}: give --guardian and --operator keys of their own (or --allow-shared-keys)`,
    warnings: [],
  };
}

function addressArg(flag: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{40}$/.test(v) || /^0x0{40}$/.test(v))
    throw new CliError("BAD_ARGUMENT", `--${flag}: ${v} is not a non-zero address`);
  return getAddress(v);
}

function secondsArg(flag: string, v: string): number {
  const n = bigintArg(flag, v);
  if (n > 10n ** 10n)
    throw new CliError("BAD_ARGUMENT", `--${flag}: ${v} seconds is more than 300 years`);
  return Number(n);
}

/**
 * A system account owner's public key: "x,y" in decimal as keygen prints it, or a keystore
 * file (its public key is read; no passphrase needed).
 */
export function ownerKeyArg(flag: string, v: string): PublicKey {
  if (fs.existsSync(v)) {
    try {
      const k = (JSON.parse(fs.readFileSync(v, "utf8")) as Keystore).publicKey;
      return parsePublicKey(`${k.x},${k.y}`, `--${flag} ${v}`);
    } catch (e) {
      throw new CliError(
        "BAD_ARGUMENT",
        `--${flag}: ${v} is not a keystore with a public key (${(e as Error).message})`,
      );
    }
  }
  try {
    return parsePublicKey(v, `--${flag}`);
  } catch (e) {
    throw new CliError("BAD_ARGUMENT", (e as Error).message);
  }
}

/**
 * The owners deploy puts in the genesis leaves: both --fee-owner and --fund-owner, or
 * neither (then both INSECURE development owners). One alone is refused, naming the
 * missing flag: the other owner would silently be a key anyone can derive.
 */
export function ownersArg(o: { feeOwner?: string; fundOwner?: string }): Owners {
  if (o.feeOwner === undefined && o.fundOwner === undefined) return devOwners();
  if (o.feeOwner === undefined || o.fundOwner === undefined) {
    const [given, missing] =
      o.feeOwner === undefined ? ["fund-owner", "fee-owner"] : ["fee-owner", "fund-owner"];
    throw new CliError(
      "OWNER_MISSING",
      `--${given} without --${missing}: give both owners' keys (or neither, for the INSECURE development owners)`,
    );
  }
  const owners = {
    fee: ownerKeyArg("fee-owner", o.feeOwner),
    fund: ownerKeyArg("fund-owner", o.fundOwner),
  };
  try {
    return validateOwners(owners);
  } catch (e) {
    throw new CliError("BAD_ARGUMENT", (e as Error).message);
  }
}

function signerList(spec: string): string[] {
  const list = spec.split(",").map((s) => s.trim());
  for (const s of list)
    if (!/^0x[0-9a-fA-F]{40}$/.test(s))
      throw new CliError("BAD_ARGUMENT", `--oracle-signers: ${s} is not an address`);
  return list.map((s) => getAddress(s));
}

export function register(program: Command, out: () => Output): void {
  program
    .command("deploy")
    .description(
      "deploy the contracts with verifiers made from a key set, and write the deployment file",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--params <set>", "parameter set (test, demo, bench, <set>-b<B>)", "test")
    .option(
      "--keys <source>",
      "development (INSECURE keys made here) or a ceremony key set's directory",
      "development",
    )
    .option("--key <hex>", "deployer's Ethereum key (default: the node's first account)")
    .option("--token <address>", "collateral ERC20 (default: deploy a TestToken)")
    .option(
      "--oracle-signers <list>",
      `oracle signer addresses, comma-separated, at least 3 (default: ${DEPLOY_DEFAULTS.devOracleSigners} INSECURE development signers)`,
    )
    .option(
      "--quorum <k>",
      `reports a round needs: at least 3 and a majority of the signers (default: ${DEPLOY_DEFAULTS.devOracleQuorum} for the development signers, else the smallest allowed)`,
    )
    .option(
      "--committee <list>",
      `data committee member addresses (the replicas' keys), comma-separated (default: ${DEPLOY_DEFAULTS.devCommitteeMembers} INSECURE development members)`,
    )
    .option(
      "--committee-threshold <k>",
      `members that must attest each trade, withdrawal and liquidation batch, 1..members (default: ${DEPLOY_DEFAULTS.devCommitteeThreshold} for the development members, else all of them)`,
    )
    .option(
      "--max-report-age <s>",
      "oldest oracle report a round may include, seconds; below --max-price-age (default: a fifth of it)",
    )
    .option(
      "--max-price-age <s>",
      "oldest oracle round a batch may use, seconds",
      String(DEPLOY_DEFAULTS.maxPriceAge),
    )
    .option(
      "--round-grace <s>",
      "how long after a newer oracle round a trade or withdrawal batch may still use the older one, seconds",
      String(DEPLOY_DEFAULTS.roundGrace),
    )
    .option("--min-deposit <units>", "smallest deposit in token units (default: one whole token)")
    .option(
      "--deposit-deadline <s>",
      "seconds after which a deposit the operator has not credited may be reclaimed",
      String(DEPLOY_DEFAULTS.depositDeadline),
    )
    .option(
      "--forced-deadline <s>",
      "seconds the operator has to answer a forced request (or credit a deposit) before anyone may freeze; more than 3 days",
      String(DEPLOY_DEFAULTS.forcedDeadline),
    )
    .option(
      "--forced-fee <wei>",
      "what a forced withdrawal request costs, wei",
      String(DEPLOY_DEFAULTS.forcedRequestFee),
    )
    .option(
      "--exit-window <s>",
      "seconds after a freeze during which exits are claims shared pro rata; at least a day",
      String(DEPLOY_DEFAULTS.exitWindow),
    )
    .option(
      "--breaker-move-bps <bps>",
      "circuit breaker: an oracle round moving a market more than this (basis points of the previous round's price, 1..10000) makes it reduce-only",
      String(DEPLOY_DEFAULTS.breakerMoveBps),
    )
    .option(
      "--breaker-cooldown <s>",
      "circuit breaker: how long a tripped market stays reduce-only, seconds of oracle round time (1..86400)",
      String(DEPLOY_DEFAULTS.breakerCooldown),
    )
    .option(
      "--vol-span <rounds>",
      "volatility margins: rounds of the exponentially weighted volatility window (1..1000)",
      String(DEPLOY_DEFAULTS.marginRule.span),
    )
    .option(
      "--vol-ref-bps <bps>",
      "volatility margins: the mean move per oracle round (basis points, 1..10000) at which margins are 1x the markets' rates",
      String(DEPLOY_DEFAULTS.marginRule.refBps),
    )
    .option(
      "--margin-floor-bps <bps>",
      "volatility margins: the lowest multiplier of the markets' margin rates, basis points (10000 = 1x, at least that)",
      String(DEPLOY_DEFAULTS.marginRule.floorBps),
    )
    .option(
      "--margin-ceil-bps <bps>",
      "volatility margins: the highest multiplier, basis points (floor..50000)",
      String(DEPLOY_DEFAULTS.marginRule.ceilBps),
    )
    .option(
      "--margin-grace <s>",
      "volatility margins: seconds a rising requirement waits before liquidations use it (1..604800)",
      String(DEPLOY_DEFAULTS.marginRule.grace),
    )
    .option(
      "--funding-interval <s>",
      "seconds per funding period: at most one funding tick per period",
      String(DEPLOY_DEFAULTS.fundingInterval),
    )
    .option(
      "--max-funding-rate <ppm>",
      "the cap on |funding rate| per tick, parts per million of the price (1..100000)",
      String(DEPLOY_DEFAULTS.maxFundingRatePpm),
    )
    .option(
      "--withdrawal-window <s>",
      "seconds per withdrawal window: the Vault's bound counts what each window pays at once",
      String(DEPLOY_DEFAULTS.withdrawalWindow),
    )
    .option(
      "--withdrawal-bound <units>",
      "token units withdrawals and exits may be paid at once per window; beyond it a credit waits --withdrawal-delay (default: no limit; set it for a real deployment)",
    )
    .option(
      "--withdrawal-delay <s>",
      "seconds of unpaused time a credit beyond the bound waits before anyone may pay it; 1..604800 (7 days)",
      String(DEPLOY_DEFAULTS.withdrawalDelay),
    )
    .option(
      "--owner <address>",
      "proposer and executor of the governance timelock, which administers every role (default: the deployer)",
    )
    .option("--admin <address>", "same as --owner")
    .option(
      "--oracle-admin <address>",
      "proposer and executor of the oracle's timelock: signers, quorum, bounds (default: the owner)",
    )
    .option("--operator <address>", "who submits batches (default: the deployer)")
    .option(
      "--guardian <address>",
      "who may pause, 3 days at most at a time (default: the deployer)",
    )
    .option(
      "--timelock-delay <s>",
      "minimum delay of both timelocks, seconds",
      String(DEPLOY_DEFAULTS.timelockDelay),
    )
    .option(
      "--allow-shared-keys",
      "outside the development chain, let the guardian or the operator be the owner's key",
    )
    .option(
      "--fee-owner <pubkey>",
      'the fee account\'s owner, who withdraws the fees: a Baby Jubjub public key "x,y" as keygen prints it, or its keystore file; give --fund-owner too (neither: both INSECURE development keys)',
    )
    .option(
      "--fund-owner <pubkey>",
      "the insurance fund's owner, who tops it up, withdraws down to the floor and trades its positions out: as --fee-owner, and give --fee-owner too (neither: both INSECURE development keys)",
    )
    .option(
      "--fund-floor <units>",
      "collateral the insurance fund keeps after its owner's withdrawals and trades (bound into the configuration)",
      "0",
    )
    .option("--out <file>", "deployment file (default: artifacts/deployments/chain-<id>.json)")
    .action(async (o: Record<string, string>) => {
      const p = paramSet(o.params);
      const keys = keySetFrom(o.keys, p);
      checkKeys(keys);
      const signers = o.oracleSigners
        ? signerList(o.oracleSigners)
        : devOracleWallets(DEPLOY_DEFAULTS.devOracleSigners).map((w) => w.address);
      const quorum = o.quorum
        ? Number(bigintArg("quorum", o.quorum))
        : o.oracleSigners
          ? majority(signers.length)
          : DEPLOY_DEFAULTS.devOracleQuorum;
      if (quorum < majority(signers.length) || quorum > signers.length)
        throw new CliError(
          "BAD_ARGUMENT",
          signers.length < MIN_ORACLE_QUORUM
            ? `--oracle-signers: ${signers.length} signers; a round needs at least ${MIN_ORACLE_QUORUM} reports (one signer must never pick the median)`
            : `--quorum ${quorum}: a round must need at least ${MIN_ORACLE_QUORUM} reports and a majority of the ${signers.length} signers (${majority(signers.length)}..${signers.length})`,
        );
      const members = o.committee
        ? signerList(o.committee)
        : devCommitteeWallets(DEPLOY_DEFAULTS.devCommitteeMembers).map((w) => w.address);
      const committeeThreshold = o.committeeThreshold
        ? Number(bigintArg("committee-threshold", o.committeeThreshold))
        : o.committee
          ? members.length
          : DEPLOY_DEFAULTS.devCommitteeThreshold;
      if (committeeThreshold < 1 || committeeThreshold > members.length)
        throw new CliError(
          "BAD_ARGUMENT",
          `--committee-threshold ${committeeThreshold}: it must be 1..${members.length} (the members)`,
        );
      const maxPriceAge = secondsArg("max-price-age", o.maxPriceAge);
      const roundGrace = secondsArg("round-grace", o.roundGrace);
      const maxReportAge = o.maxReportAge
        ? secondsArg("max-report-age", o.maxReportAge)
        : defaultMaxReportAge(maxPriceAge);
      try {
        checkTiming(maxPriceAge, roundGrace, maxReportAge);
      } catch (e) {
        throw new CliError(
          "BAD_ARGUMENT",
          `--max-price-age ${maxPriceAge}, --round-grace ${roundGrace}, --max-report-age ${maxReportAge}: ${(e as Error).message}`,
        );
      }
      const breakerMoveBps = Number(bigintArg("breaker-move-bps", o.breakerMoveBps));
      const breakerCooldown = secondsArg("breaker-cooldown", o.breakerCooldown);
      const breaker = breakerProblem(breakerMoveBps, breakerCooldown);
      if (breaker)
        throw new CliError(
          "BAD_ARGUMENT",
          `--breaker-move-bps ${breakerMoveBps}, --breaker-cooldown ${breakerCooldown}: ${breaker}`,
        );
      const marginRule: MarginRuleNumbers = {
        span: Number(bigintArg("vol-span", o.volSpan)),
        refBps: Number(bigintArg("vol-ref-bps", o.volRefBps)),
        floorBps: Number(bigintArg("margin-floor-bps", o.marginFloorBps)),
        ceilBps: Number(bigintArg("margin-ceil-bps", o.marginCeilBps)),
        grace: secondsArg("margin-grace", o.marginGrace),
      };
      const margins = marginRuleProblem(toMarginRule(marginRule));
      if (margins)
        throw new CliError(
          "BAD_ARGUMENT",
          `--vol-span ${marginRule.span}, --vol-ref-bps ${marginRule.refBps}, --margin-floor-bps ${marginRule.floorBps}, --margin-ceil-bps ${marginRule.ceilBps}, --margin-grace ${marginRule.grace}: ${margins}`,
        );
      const fundingInterval = secondsArg("funding-interval", o.fundingInterval);
      const maxFundingRatePpm = Number(bigintArg("max-funding-rate", o.maxFundingRate));
      try {
        checkFunding(fundingInterval, maxFundingRatePpm);
      } catch (e) {
        throw new CliError(
          "BAD_ARGUMENT",
          `--funding-interval ${fundingInterval}, --max-funding-rate ${o.maxFundingRate}: ${(e as Error).message}`,
        );
      }
      const withdrawalLimit = {
        window: secondsArg("withdrawal-window", o.withdrawalWindow),
        bound: o.withdrawalBound
          ? bigintArg("withdrawal-bound", o.withdrawalBound)
          : DEPLOY_DEFAULTS.withdrawalBound,
        delay: secondsArg("withdrawal-delay", o.withdrawalDelay),
      };
      try {
        checkWithdrawalLimit(withdrawalLimit);
      } catch (e) {
        throw new CliError(
          "BAD_ARGUMENT",
          `--withdrawal-window ${withdrawalLimit.window}, --withdrawal-bound ${withdrawalLimit.bound}, --withdrawal-delay ${withdrawalLimit.delay}: ${(e as Error).message}`,
        );
      }
      if (o.owner && o.admin && getAddress(o.owner) !== getAddress(o.admin))
        throw new CliError("BAD_ARGUMENT", "--owner and --admin name the same role: give one");
      const roles = {
        owner: addressArg("owner", o.owner) ?? addressArg("admin", o.admin),
        oracleAdmin: addressArg("oracle-admin", o.oracleAdmin),
        operator: addressArg("operator", o.operator),
        guardian: addressArg("guardian", o.guardian),
      };
      const owners = ownersArg(o);
      const fundFloor = bigintArg("fund-floor", o.fundFloor);
      if (fundFloor >= 1n << BigInt(FUND_FLOOR_BITS))
        throw new CliError(
          "BAD_ARGUMENT",
          `--fund-floor: ${fundFloor} is not below 2^${FUND_FLOOR_BITS}`,
        );
      const minDeposit = o.minDeposit ? bigintArg("min-deposit", o.minDeposit) : undefined;
      if (minDeposit === 0n)
        throw new CliError("BAD_ARGUMENT", "--min-deposit: the smallest deposit must be above 0");
      const provider = new JsonRpcProvider(o.rpc);
      try {
        const deployer: Signer = o.key ? new Wallet(o.key, provider) : await provider.getSigner(0);
        const log = (s: string) => (out().json ? undefined : console.error(s));
        const me = await deployer.getAddress();
        const check = sharedKeyCheck(
          (await provider.getNetwork()).chainId,
          {
            owner: roles.owner ?? me,
            operator: roles.operator ?? me,
            guardian: roles.guardian ?? me,
          },
          (o as Record<string, unknown>).allowSharedKeys === true,
        );
        if (check.refusal) throw new CliError("BAD_ARGUMENT", check.refusal);
        for (const w of check.warnings) console.error(w);
        if (!o.withdrawalBound && (await provider.getNetwork()).chainId !== 31337n)
          console.error(
            "zkclear deploy: WARNING: no --withdrawal-bound: the Vault pays any amount at once (no rate limit); set one above ordinary daily outflows",
          );
        await prepareContracts(log);
        const { deployment, contracts: c } = await deployZkclear(deployer, {
          params: p,
          keys,
          token: o.token,
          ...roles,
          maxPriceAge,
          roundGrace,
          minDeposit,
          depositDeadline: secondsArg("deposit-deadline", o.depositDeadline),
          forcedDeadline: secondsArg("forced-deadline", o.forcedDeadline),
          forcedRequestFee: bigintArg("forced-fee", o.forcedFee),
          exitWindow: secondsArg("exit-window", o.exitWindow),
          timelockDelay: secondsArg("timelock-delay", o.timelockDelay),
          fundingInterval,
          maxFundingRatePpm,
          withdrawalWindow: withdrawalLimit.window,
          withdrawalBound: withdrawalLimit.bound,
          withdrawalDelay: withdrawalLimit.delay,
          oracle: {
            signers,
            quorum,
            // well below maxPriceAge: a round of the oldest admissible reports stays usable
            maxReportAge,
            bounds: Array.from({ length: p.markets }, () => [1n, (1n << 64n) - 1n] as const),
            breakerMoveBps,
            breakerCooldown,
            marginRule,
          },
          committee: { members, threshold: committeeThreshold },
          owners,
          fundFloor,
          log,
        });
        const file = saveDeployment(o.out ?? defaultDeploymentFile(deployment.chainId), deployment);
        const roleLines = Object.entries(deployment.roles)
          .map(([r, a]) => `  ${r}: ${a}`)
          .join("\n");
        const parameters = {
          maxPriceAge: c.maxPriceAge,
          roundGrace: c.roundGrace,
          maxReportAge,
          breakerMoveBps,
          breakerCooldown,
          marginRule,
          minDeposit: c.minDeposit.toString(),
          depositDeadline: c.depositDeadline,
          forcedDeadline: c.forcedDeadline,
          forcedRequestFee: c.forcedRequestFee.toString(),
          exitWindow: c.exitWindow,
          timelockDelay: c.timelockDelay,
          fundingInterval: c.fundingInterval,
          maxFundingRatePpm: c.maxFundingRatePpm,
          withdrawalWindow: c.withdrawalLimit.window,
          withdrawalBound: c.withdrawalLimit.bound.toString(),
          withdrawalDelay: c.withdrawalLimit.delay,
          fundFloor: c.fundFloor.toString(),
        };
        const insecure = devOwnerRoles(owners);
        const label = (r: keyof Owners) =>
          insecure.includes(r) ? " (INSECURE development key: anyone can derive it)" : "";
        print(
          out(),
          {
            file,
            ...deployment.addresses,
            roles: deployment.roles,
            owners: {
              fee: formatPublicKey(owners.fee),
              fund: formatPublicKey(owners.fund),
              insecure,
            },
            parameters,
            keys: deployment.keys.kind,
          },
          `deployed "${p.name}" on chain ${deployment.chainId} with ${deployment.keys.kind} keys` +
            `\n  Settlement: ${deployment.addresses.settlement}\n  Vault: ${deployment.addresses.vault}` +
            `\n  oracle: ${deployment.addresses.oracle} (${quorum} of ${signers.length} signers)` +
            `\n  data committee: ${deployment.addresses.committee} (${committeeThreshold} of ${members.length} members)` +
            `\n  Funding: ${deployment.addresses.funding} (a tick per ${c.fundingInterval} s at most, |rate| <= ${c.maxFundingRatePpm} ppm)` +
            `\nroles:\n${roleLines}` +
            `\nowners:\n  fee account: ${formatPublicKey(owners.fee)}${label("fee")}` +
            `\n  insurance fund: ${formatPublicKey(owners.fund)}${label("fund")}` +
            `\nparameters:\n` +
            Object.entries(parameters)
              .map(([k, v]) => `  ${k}: ${v}`)
              .join("\n") +
            `\nwritten to ${file}`,
        );
      } finally {
        provider.destroy();
      }
    });
}
