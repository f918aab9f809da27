import { Contract } from "ethers";
import type { BatchKind } from "../domain/batch.ts";
import type { ExitData } from "../domain/exit-data.ts";
import type {
  ExplorerAccount,
  ExplorerBatch,
  ExplorerSnapshot,
  ExplorerSource,
  SignedAccountQuery,
} from "../explorer/source.ts";
import { accountView, marketsOf, systemAccountsOf } from "../explorer/views.ts";
import type { Progress } from "../audit/progress.ts";
import { replicaExitData } from "./exit.ts";
import type { Replica } from "./replica.ts";
import type { RoundMargins } from "../domain/volatility.ts";

/** How many batches and rounds the overview lists. */
const BATCHES = 20;
const ROUNDS = 5;

/**
 * The explorer page's source in a replica (explorer/source.ts): everything from the
 * replica's own replay (its state, the auditor's progress: rounds, forced requests, the
 * freeze and the exits) and its own files, so the page works with the operator gone.
 * Exit data is served for any account, openly: it comes from the published batch files,
 * which anyone can replay.
 */
export function replicaExplorerSource(r: Replica, params: string): ExplorerSource {
  const now = () => Math.floor(Date.now() / 1000);
  const settlement = new Contract(
    r.settlement,
    [
      "function stateRoot() view returns (uint256)",
      "function forcedDeadline() view returns (uint64)",
    ],
    r.provider,
  );
  let forcedDeadline: number | undefined;

  /** The round accounts are valued at: the freeze's once frozen, else the latest seen. */
  function marksOf(p: Progress): {
    roundId: bigint | null;
    marks: bigint[] | null;
    margins: RoundMargins | null;
  } {
    const ids = Object.keys(p.rounds).map(BigInt);
    const id = p.freeze ? p.freeze.roundId : ids.reduce((a, b) => (b > a ? b : a), 0n);
    const round = id ? p.rounds[id.toString()] : undefined;
    // the multipliers by the volatility rule the replica walked (1x when it did not)
    return round
      ? { roundId: id, marks: [...round.prices], margins: round.margins ?? null }
      : { roundId: null, marks: null, margins: null };
  }

  function batchesOf(): { batches: ExplorerBatch[]; total: number } {
    const list = r.db.settledList();
    const batches = list
      .slice(-BATCHES)
      .reverse()
      .map((b) => {
        const f = JSON.parse(r.db.settled(b.batch)!.text) as Record<string, string | null>;
        return {
          id: b.batch,
          kind: b.kind as BatchKind,
          status: "settled",
          oldRoot: BigInt(f.oldRoot!),
          newRoot: BigInt(f.newRoot!),
          commitment: BigInt(f.commitment!),
          round: f.roundId ? BigInt(f.roundId) : null,
          // the proof is in the batch's transaction; this replica verified it there
          proof: { short: "verified from its transaction", url: `/v1/published/${b.name}` },
          txHash: b.txHash,
        };
      });
    return { batches, total: list.length };
  }

  return {
    async snapshot(): Promise<ExplorerSnapshot> {
      forcedDeadline ??= Number(await settlement.getFunction("forcedDeadline")());
      const chainRoot = await settlement
        .getFunction("stateRoot")()
        .then(BigInt)
        .catch(() => null);
      const deadline = forcedDeadline;
      return r.withState(({ state, progress: p }) => {
        const rounds = Object.entries(p.rounds)
          .map(([id, x]) => ({
            id: BigInt(id),
            time: Number(x.timestamp),
            prices: [...x.prices],
            reduceOnly: x.reduceOnly ?? null,
          }))
          .sort((a, b) => (a.id > b.id ? -1 : 1))
          .slice(0, ROUNDS);
        const { batches, total } = batchesOf();
        const exits = p.exits ?? [];
        return {
          deployment: {
            chainId: r.chainId,
            settlement: r.settlement,
            params,
            source: "replica" as const,
            member: r.member,
          },
          at: now(),
          root: state.root,
          chainRoot,
          batches,
          batchCount: total,
          rounds,
          markets: marketsOf(state, marksOf(p).marks),
          ...systemAccountsOf(state),
          forced: {
            deadline,
            requests: (p.forced ?? []).map((f) => ({
              index: f.index,
              account: f.account,
              amount: f.amount,
              requestedAt: f.time,
              dueAt: f.time + deadline,
              status: f.answer ? ("answered" as const) : ("pending" as const),
              overdue: !f.answer && now() > f.time + deadline,
              outcome: f.answer?.outcome ?? null,
              batch: f.answer?.batch ?? null,
            })),
          },
          freeze: p.freeze
            ? {
                at: p.freeze.time,
                roundId: p.freeze.roundId,
                root: p.freeze.root,
                batches: p.freeze.batches,
                exits: exits.length,
                claimed: exits.reduce((a, e) => a + e.payout, 0n),
              }
            : null,
          // a replica follows settled batches; the operator watches for anomalies
          anomalies: null,
        };
      });
    },

    account(index: bigint, query: SignedAccountQuery): Promise<ExplorerAccount> {
      return r.withState(({ state, progress: p }) =>
        accountView(state, index, query, { ...marksOf(p), now: BigInt(now()) }),
      );
    },

    exitData(index: bigint): Promise<ExitData> {
      return replicaExitData(r, index);
    },
  };
}
