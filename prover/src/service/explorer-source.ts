import { EventLog, type Contract } from "ethers";
import { batchCommitment } from "../domain/batch-kinds.ts";
import type { ExitData } from "../domain/exit-data.ts";
import type {
  ExplorerAccount,
  ExplorerBatch,
  ExplorerFreeze,
  ExplorerRound,
  ExplorerSnapshot,
  ExplorerSource,
  SignedAccountQuery,
} from "../explorer/source.ts";
import {
  accountView,
  exitDataView,
  ExplorerError,
  marketsOf,
  systemAccountsOf,
} from "../explorer/views.ts";
import type { BatchBody, Operator } from "./operator.ts";
import type { StoredBatch } from "../store/store.ts";
import type { RoundMargins } from "../domain/volatility.ts";

export interface OperatorSourceOptions {
  readonly op: Operator;
  /** Settlement and the oracle, connected to a node (a ChainClient's). */
  readonly chain: {
    readonly settlement: Contract;
    readonly oracle: Contract;
    fundingIndices(roundId: bigint): Promise<bigint[]>;
    roundMargins(roundId: bigint, markets: number): Promise<RoundMargins>;
  };
  readonly chainId: bigint;
  readonly settlement: string;
  readonly params: string;
  /** How many batches and oracle rounds the overview lists (default 20 and 5). */
  readonly batches?: number;
  readonly rounds?: number;
}

/** The chain's answer, or `fallback` when the node does not answer (the page still shows). */
async function orElse<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    return fallback;
  }
}

/** The proof's pi_a x, cut: enough to tell proofs apart at a glance (the store keeps a ProofResult). */
function shortProof(stored: unknown): string {
  const proof = (stored as { proof?: { pi_a?: unknown[] } }).proof;
  const hex = BigInt(String(proof?.pi_a?.[0] ?? 0)).toString(16);
  return `π_a 0x${hex.slice(0, 8)}…${hex.slice(-4)}`;
}

function batchOf(b: StoredBatch<BatchBody>): ExplorerBatch {
  return {
    id: b.id,
    kind: b.kind,
    status: b.status,
    oldRoot: b.oldRoot,
    newRoot: b.newRoot,
    commitment: batchCommitment(b.body),
    round: "round" in b.body ? b.body.round : null,
    proof: b.proof ? { short: shortProof(b.proof), url: `/v1/batches/${b.id}` } : null,
    txHash: b.txHash,
  };
}

/**
 * The explorer's source in the operator service: the operator's state (every batch cut so
 * far), its store (the batches and their proofs), its forced book (requests and the freeze
 * as last read), and Settlement and the oracle read on each snapshot (rounds, the on-chain
 * root, exits after a freeze).
 */
export function operatorExplorerSource(o: OperatorSourceOptions): ExplorerSource {
  const { op, chain } = o;
  const now = () => BigInt(Math.floor(Date.now() / 1000));

  async function round(id: bigint): Promise<ExplorerRound> {
    const [prices, time, reduceOnly] = await Promise.all([
      chain.oracle.getFunction("roundPrices")(id) as Promise<bigint[]>,
      chain.oracle.getFunction("roundTimestamp")(id) as Promise<bigint>,
      chain.oracle.getFunction("roundReduceOnly")(id) as Promise<bigint>,
    ]);
    return { id, time: Number(time), prices: [...prices], reduceOnly: BigInt(reduceOnly) };
  }

  async function latestRounds(n: number): Promise<ExplorerRound[]> {
    const [latest] = (await chain.oracle.getFunction("latestRound")()) as [bigint, bigint];
    const ids: bigint[] = [];
    for (let id = latest; id >= 1n && ids.length < n; id--) ids.push(id);
    return Promise.all(ids.map(round));
  }

  /** The prices accounts are valued at: the freeze's round once frozen, else the latest. */
  async function marksNow(): Promise<{
    roundId: bigint | null;
    marks: bigint[] | null;
    margins: RoundMargins | null;
  }> {
    const f = op.forced.escape?.frozen;
    const r = f ? await round(f.roundId) : (await latestRounds(1))[0];
    return r
      ? {
          roundId: r.id,
          marks: [...r.prices],
          margins: await chain.roundMargins(r.id, r.prices.length),
        }
      : { roundId: null, marks: null, margins: null };
  }

  async function exits(): Promise<{ exits: number; claimed: bigint }> {
    const s = chain.settlement;
    const events = [
      ...(await s.queryFilter(s.filters.ExitClaimed())),
      ...(await s.queryFilter(s.filters.ExitPaid())),
    ];
    const byAccount = new Map<bigint, bigint>();
    for (const e of events)
      if (e instanceof EventLog) byAccount.set(BigInt(e.args.account), BigInt(e.args.payout));
    return {
      exits: byAccount.size,
      claimed: [...byAccount.values()].reduce((a, b) => a + b, 0n),
    };
  }

  return {
    async snapshot(): Promise<ExplorerSnapshot> {
      const state = op.state;
      const { batches, total } = op.latestBatches(o.batches ?? 20);
      const rounds = await orElse(() => latestRounds(o.rounds ?? 5), []);
      const escape = op.forced.escape;
      const f = escape?.frozen;
      let freeze: ExplorerFreeze | null = null;
      if (f) {
        const e = await orElse(exits, { exits: 0, claimed: 0n });
        freeze = { at: f.at, roundId: f.roundId, root: f.root, batches: f.batches, ...e };
      }
      const marks = f
        ? await orElse(async () => (await round(f.roundId)).prices, null)
        : (rounds[0]?.prices ?? null);
      const chainRoot = await orElse(
        async () => BigInt(await chain.settlement.getFunction("stateRoot")()),
        null,
      );
      return {
        deployment: {
          chainId: o.chainId,
          settlement: o.settlement,
          params: o.params,
          source: "operator",
          member: null,
        },
        at: Number(now()),
        root: state.root,
        chainRoot,
        batches: batches.map(batchOf),
        batchCount: total,
        rounds,
        markets: marketsOf(state, marks),
        ...systemAccountsOf(state),
        forced: {
          deadline: escape?.forcedDeadline ?? 0,
          requests: op.forced
            .page(0, op.forced.size, (b) => op.isSettled(b))
            .map((r) => ({
              index: r.index,
              account: r.account,
              amount: r.amount,
              requestedAt: r.requestedAt,
              dueAt: r.dueAt,
              status: r.status,
              overdue: r.overdue,
              outcome: r.outcome,
              batch: r.batch,
            })),
        },
        freeze,
        anomalies: (({ thresholds, active, recent }) => ({ thresholds, active, recent }))(
          op.anomalies.view(),
        ),
      };
    },

    async account(index: bigint, query: SignedAccountQuery): Promise<ExplorerAccount> {
      return accountView(op.state, index, query, { ...(await marksNow()), now: now() });
    },

    async exitData(index: bigint, query?: SignedAccountQuery): Promise<ExitData> {
      if (!query)
        throw new ExplorerError(
          "AUTH_FAILED",
          "the operator gives an account's exit data to its key holder only: sign a query",
        );
      const state = op.state;
      const f = op.forced.escape?.frozen;
      const { roundId, marks } = await marksNow();
      if (roundId === null || marks === null)
        throw new ExplorerError(
          "EXIT_DATA_UNAVAILABLE",
          "no oracle round yet: exit data states a payout at a round's prices",
        );
      const fundingIndices = await chain.fundingIndices(roundId);
      const root = f ? f.root : BigInt(await chain.settlement.getFunction("stateRoot")());
      const batches = f ? f.batches : Number(await chain.settlement.getFunction("batchCount")());
      return exitDataView(
        state,
        index,
        {
          chainId: o.chainId,
          settlement: o.settlement,
          batches,
          roundId,
          marks,
          fundingIndices,
          margins: await chain.roundMargins(roundId, marks.length),
          root,
        },
        `operator ${o.settlement}`,
        { q: query, now: now() },
      );
    },
  };
}
