import hre from "hardhat";
import {
  BrowserProvider,
  Contract,
  Wallet,
  type Eip1193Provider,
  type Interface,
  type JsonRpcSigner,
} from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { CIRCUIT_IDS, type CircuitId } from "../../prover/src/domain/circuits.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import {
  deployContracts,
  devCommittee,
  prepareContracts,
  type DeployedContracts,
} from "../../prover/src/chain/deploy.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { signReport, submitRoundArgs } from "../../prover/src/chain/oracle-reports.ts";

/**
 * The in-process chain WITHOUT ethers' request cache: ethers shares identical requests made
 * within 250 ms, so a state read (or a refused call sent) twice in a row would be answered
 * from the first. Every read and transaction of the fuzzing goes through this provider.
 */
export const provider = new BrowserProvider(
  hre.network.provider as unknown as Eip1193Provider,
  undefined,
  { cacheTimeout: -1 },
);

/**
 * The chain the contract invariants are fuzzed on (test/contracts/invariants.test.ts): a
 * real in-process Hardhat chain with zkclear deployed as `deploy` does, but with the
 * TEST-ONLY AcceptAllVerifier (contracts/test) for every circuit, so a random batch can
 * move the root to any new root and what is exercised is the contracts' own logic. Each
 * actor holds one role; the block clock is set explicitly before every transaction, so the
 * model knows each call's block time.
 */
export const FUZZ_PARAMS = PARAM_SETS.test;
export const FUZZ_TIMING = {
  depositDeadline: 86_400,
  // just above one pause (3 days): the least Settlement takes
  forcedDeadline: 3 * 86_400 + 3600,
  exitWindow: 86_400,
  timelockDelay: 600,
  maxPriceAge: 600,
  roundGrace: 180,
  maxReportAge: 120,
} as const;
/**
 * The Vault's rate limit: an hour's window whose bound a few random payouts exceed (deposits
 * are up to 10^12, 2^92 at most), and a day's delay: delayed credits and their claims happen.
 */
export const FUZZ_LIMIT = { window: 3600, bound: 10n ** 11n, delay: 86_400 } as const;
export const FUZZ_FEE = 10n ** 15n;
/** What each depositor is minted: room for several deposits of MAX_DEPOSIT (2^92 - 1). */
export const FUZZ_MINT = 1n << 95n;

/** The actors, by what they hold. */
export const ROLE_ACTORS = [
  "deployer",
  "operator",
  "guardian",
  "owner",
  "oracleAdmin",
  "stranger",
] as const;
export const DEPOSITORS = ["alice", "bob", "carol"] as const;
export type ActorName = (typeof ROLE_ACTORS)[number] | (typeof DEPOSITORS)[number];
export const ACTORS: readonly ActorName[] = [...ROLE_ACTORS, ...DEPOSITORS];

export interface FuzzWorld {
  readonly d: DeployedContracts;
  readonly actors: Readonly<Record<ActorName, JsonRpcSigner>>;
  readonly addr: Readonly<Record<ActorName, string>>;
  readonly oracleWallets: readonly Wallet[];
  /** Interfaces a revert is decoded with, in order. */
  readonly interfaces: readonly Interface[];
  /** The chain snapshot every run starts from (evm_revert consumes it; renewed). */
  snapshot: string;
  /** The block time of the latest block, as this rig set it. */
  clock: number;
}

export async function deployFuzzWorld(): Promise<FuzzWorld> {
  await prepareContracts();
  const s = await Promise.all(ACTORS.map((_, i) => provider.getSigner(i)));
  const actors = Object.fromEntries(ACTORS.map((a, i) => [a, s[i]])) as Record<
    ActorName,
    JsonRpcSigner
  >;
  const addr = Object.fromEntries(ACTORS.map((a, i) => [a, s[i].address])) as Record<
    ActorName,
    string
  >;
  const acceptAll = await (factory(
    "AcceptAllVerifier",
    actors.deployer,
  ).deploy() as Promise<Contract>);
  const v = await acceptAll.getAddress();
  const overrides = Object.fromEntries(CIRCUIT_IDS.map((id) => [id, v])) as Record<
    CircuitId,
    string
  >;
  const oracleWallets = [0, 1, 2].map(
    (i) => new Wallet(`0x${(0x2200 + i).toString(16).padStart(64, "0")}`),
  );
  const markets = defaultMarkets(FUZZ_PARAMS.markets);
  const d = await deployContracts(actors.deployer, {
    params: FUZZ_PARAMS,
    markets,
    verifiers: overrides,
    verifierOverrides: overrides,
    oracle: {
      signers: oracleWallets.map((w) => w.address),
      quorum: 3,
      maxReportAge: FUZZ_TIMING.maxReportAge,
      bounds: markets.map(() => [1n, (1n << 64n) - 1n] as const),
    },
    committee: devCommittee(),
    minDeposit: 1n,
    depositDeadline: FUZZ_TIMING.depositDeadline,
    forcedDeadline: FUZZ_TIMING.forcedDeadline,
    forcedRequestFee: FUZZ_FEE,
    exitWindow: FUZZ_TIMING.exitWindow,
    timelockDelay: FUZZ_TIMING.timelockDelay,
    maxPriceAge: FUZZ_TIMING.maxPriceAge,
    roundGrace: FUZZ_TIMING.roundGrace,
    withdrawalWindow: FUZZ_LIMIT.window,
    withdrawalBound: FUZZ_LIMIT.bound,
    withdrawalDelay: FUZZ_LIMIT.delay,
    owner: addr.owner,
    oracleAdmin: addr.oracleAdmin,
    operator: addr.operator,
    guardian: addr.guardian,
  });
  const vault = await d.vault.getAddress();
  for (const a of DEPOSITORS) {
    await (await d.token.getFunction("mint")(addr[a], FUZZ_MINT)).wait();
    await (
      await (d.token.connect(actors[a]) as Contract).getFunction("approve")(vault, 1n << 255n)
    ).wait();
  }
  const interfaces = [d.settlement, d.vault, d.oracle, d.timelock, d.token, d.committee].map(
    (c) => c.interface,
  );
  const w: FuzzWorld = { d, actors, addr, oracleWallets, interfaces, snapshot: "", clock: 0 };
  w.clock = await latestTime();
  w.snapshot = await provider.send("evm_snapshot", []);
  return w;
}

/** Back to the state right after deployment (and a new snapshot for the next run). */
export async function resetFuzzWorld(w: FuzzWorld): Promise<void> {
  await provider.send("evm_revert", [w.snapshot]);
  w.snapshot = await provider.send("evm_snapshot", []);
  w.clock = await latestTime();
}

export async function latestTime(): Promise<number> {
  const b = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
    timestamp: string;
  };
  return Number(BigInt(b.timestamp));
}

/** Moves the clock on by `seconds` (the next transaction's block is that much later). */
export function advance(w: FuzzWorld, seconds: number): void {
  w.clock += seconds;
}

/** The custom error `e` carries, decoded with the deployment's interfaces (or its message). */
export function errorName(w: FuzzWorld, e: unknown): string {
  const err = e as {
    data?: string;
    error?: { data?: string };
    info?: { error?: { data?: string } };
    message?: string;
  };
  const data = err.data ?? err.error?.data ?? err.info?.error?.data;
  if (typeof data === "string" && data.length >= 10) {
    for (const i of w.interfaces) {
      const r = i.parseError(data);
      if (r) return r.name;
    }
    return `raw:${data.slice(0, 10)}`;
  }
  return `message:${err.message ?? String(e)}`;
}

export interface Sent {
  /** The custom error the call reverted with; null when it succeeded. */
  readonly error: string | null;
  /** Its block's time. */
  readonly time: number;
  readonly logs: readonly { topics: readonly string[]; data: string }[];
}

/**
 * Sends `method(...args)` of `contract` from `who` in the next block, one second after the
 * clock (or at the clock after an advance). A call that reverts is still MINED (explicit
 * gas limit, no estimate): the refusal happens on-chain, and its error is decoded.
 */
export async function send(
  w: FuzzWorld,
  who: ActorName,
  contract: Contract,
  method: string,
  args: readonly unknown[],
  value = 0n,
): Promise<Sent> {
  w.clock += 1;
  await provider.send("evm_setNextBlockTimestamp", [w.clock]);
  const c = contract.connect(w.actors[who]) as Contract;
  try {
    const tx = await c.getFunction(method)(...args, { value, gasLimit: 15_000_000 });
    const r = await tx.wait();
    return { error: null, time: w.clock, logs: r.logs };
  } catch (e) {
    return { error: errorName(w, e), time: w.clock, logs: [] };
  }
}

/** An oracle round `roundId` whose reports are stamped `timestamp`, signed by `wallets`. */
export async function roundArgs(
  w: FuzzWorld,
  roundId: bigint,
  timestamp: bigint,
  prices: readonly bigint[],
  wallets: readonly Wallet[] = w.oracleWallets,
): Promise<unknown[]> {
  const oracle = await w.d.oracle.getAddress();
  const signed = [];
  for (const wallet of wallets)
    signed.push(await signReport(wallet, oracle, w.d.chainId, { roundId, timestamp, prices }));
  return submitRoundArgs(roundId, signed);
}

/** One transaction and the model's prediction of it. */
export interface Call {
  readonly who: ActorName;
  readonly contract: Contract;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly value?: bigint;
  /** Seconds the clock moves on before it is sent. */
  readonly advance?: number;
  /** The custom error it must revert with; null: it must succeed. */
  readonly expected: string | null;
  readonly onSuccess: (time: number) => void;
}

/** Any proof: the accept-all verifier takes it. */
export const PROOF = {
  a: [1n, 2n],
  b: [
    [1n, 2n],
    [3n, 4n],
  ],
  c: [1n, 2n],
};
