import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { MarginRuleNumbers } from "../../prover/src/domain/volatility.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { devAttestor, setupWorld, type World } from "../../prover/src/dev/onchain.ts";
import type { DeployOptions } from "../../prover/src/chain/deploy.ts";
import type { AttestorPort } from "../../prover/src/domain/ports.ts";
import { ChainClient } from "../../prover/src/chain/client.ts";
import { ChainFunding } from "../../prover/src/chain/funding-port.ts";
import { WorkerProver } from "../../prover/src/proving/worker-pool.ts";
import { Store } from "../../prover/src/store/store.ts";
import { Operator } from "../../prover/src/service/operator.ts";
import { Publisher } from "../../prover/src/service/publisher.ts";
import { devWallet } from "../../prover/src/service/serve.ts";
import { prepareTestContracts, signers } from "./chain.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { signCompartmentMove } from "../../prover/src/domain/compartment-moves.ts";

/**
 * The real operator on the in-process chain, as the service and audit tests use it:
 * a fresh deployment (`test` parameters) with funded traders, an SQLite store in a
 * temporary directory, a prover process and a chain client.
 */
export interface OperatorRig {
  readonly w: World;
  /** A temporary directory of the rig's own (the store lives in it). */
  readonly dir: string;
  readonly storeFile: string;
  readonly prover: WorkerProver;
  readonly chain: ChainClient;
  store: Store;
  op: Operator;
  /** Closes the store and opens the operator again over it, as after a restart. */
  restart(): Operator;
  close(): Promise<void>;
}

export async function startOperator(
  traders: number,
  prefix: string,
  extra: {
    snapshotEvery?: number;
    log?: (line: string) => void;
    waitMs?: number;
    /** Who attests batches (default: the development committee's keys, in this process). */
    attestor?: AttestorPort;
    /** Deployment changes (the replica tests name their own committee). */
    deploy?: Partial<Omit<DeployOptions, "params" | "markets" | "verifiers">>;
    /** The operator ticks funding, as the service does (default: it never ticks). */
    funding?: boolean;
    /** The oracle's breaker bound, bps (setupWorld's breakerMoveBps). */
    breakerMoveBps?: number;
    /** The oracle's volatility margin rule (setupWorld's marginRule). */
    marginRule?: MarginRuleNumbers;
    /** OperatorOptions.committeeWaitMs and rotationWaitMs (default: the operator's). */
    committeeWaitMs?: number;
    rotationWaitMs?: number;
  } = {},
): Promise<OperatorRig> {
  const P = PARAM_SETS.test;
  await prepareTestContracts();
  const s = await signers(traders + 1);
  const w = await setupWorld(P, s[0], s.slice(1), {
    deploy: extra.deploy,
    breakerMoveBps: extra.breakerMoveBps,
    marginRule: extra.marginRule,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const storeFile = path.join(dir, "op.db");
  const prover = new WorkerProver(P, w.keys);
  const chain = new ChainClient(w.d.addresses, devWallet(0).connect(s[0].provider), {
    pollMs: 100,
    waitMs: extra.waitMs,
    attestor: extra.attestor ?? devAttestor(w.d),
  });
  const funding = extra.funding
    ? new ChainFunding(w.d.addresses, devWallet(0).connect(s[0].provider), w.deployment.block)
    : undefined;
  const open = (store: Store) =>
    Operator.open({
      params: P,
      markets: w.markets,
      domain: w.domain,
      owners: w.deployment.owners,
      fundFloor: w.deployment.fundFloor,
      store,
      chain,
      prover,
      snapshotEvery: extra.snapshotEvery,
      committeeWaitMs: extra.committeeWaitMs,
      rotationWaitMs: extra.rotationWaitMs,
      funding,
      log: extra.log ?? ((line) => process.env.ZKCLEAR_TEST_LOG && console.log(line)),
    });
  const store = new Store(storeFile);
  const rig: OperatorRig = {
    w,
    dir,
    storeFile,
    prover,
    chain,
    store,
    op: open(store),
    restart() {
      rig.store.close();
      rig.store = new Store(storeFile);
      rig.op = open(rig.store);
      return rig.op;
    },
    async close() {
      await prover.close();
      rig.store.close();
    },
  };
  return rig;
}

/**
 * The publisher of the rig's settled batches, for its deployment, writing the files to `dir`
 * when given (as the service's publisher does).
 */
export function rigPublisher(rig: OperatorRig, dir?: string): Publisher {
  const w = rig.w;
  return new Publisher(rig.store, {
    chainId: w.d.chainId,
    settlement: w.d.addresses.settlement,
    params: PARAM_SETS.test,
    markets: w.markets,
    fundFloor: w.deployment.fundFloor,
    owners: w.deployment.owners,
    ...(dir ? { dir } : {}),
  });
}

/**
 * The development fund owner moves `amount` of the insurance fund's reserve into market
 * `market`'s compartment, at the fund's next withdrawal nonce: the next liquidation batch
 * carries it (the reserve never pays a market's losses itself). Returns the request id.
 */
export function fundCompartment(
  rig: { readonly op: Operator; readonly store: Store },
  market: number,
  amount: bigint,
): string {
  const { op, store } = rig;
  const fund = op.state.getAccount(INSURANCE_ACCOUNT);
  const queued = store.withdrawals.pendingOf(INSURANCE_ACCOUNT).length;
  return op.requestCompartmentMove(
    signCompartmentMove(
      { market, nonce: fund.withdrawNonce + BigInt(queued), amount, toReserve: false },
      op.state.marketCount,
      devOwnerKeys().fund.privateKey,
      op.state.domain,
    ),
  );
}

/**
 * Funds the insurance fund's compartments from its reserve, `amounts[j]` into market j's,
 * one move per liquidation batch, each settled before the next (an oracle round must be
 * fresh). The fund owner trades the fund only while the traded market's compartment keeps
 * its position's requirement (docs/isolation.md, section 1).
 */
export async function fundCompartments(
  rig: { readonly op: Operator; readonly store: Store },
  amounts: readonly bigint[],
): Promise<void> {
  for (const [market, amount] of amounts.entries()) {
    if (amount === 0n) continue;
    const id = fundCompartment(rig, market, amount);
    const landed = () =>
      rig.store.withdrawals.get(id)?.status === "batched" && rig.op.pendingWork().batches === 0;
    for (let i = 0; i < 20 && !landed(); i++) await rig.op.tick();
    if (!landed())
      throw new Error(
        `the move into market ${market}'s compartment is ${rig.store.withdrawals.get(id)?.status}, not settled`,
      );
  }
}
