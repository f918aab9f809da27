import type { ExitData } from "../domain/exit-data.ts";
import { exitDataOf } from "../engine/exit-data.ts";
import { frozenMarks, fundingIndicesAt, roundMarginsOf } from "../audit/chain.ts";
import { readFreeze, ReplicaError } from "../audit/replica-tree.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { Replica } from "./replica.ts";

/**
 * An account's exit data from a replica's tree (GET /v1/exit-data/:account). After a
 * freeze it is at the frozen root (the replica must have replayed exactly the batches the
 * freeze counts, and reach its root), with the freeze's round's prices: what `zkclear exit`
 * proves. Before a freeze it is at the replica's current root and the last priced batch's
 * round: a preview, not yet usable for an exit.
 */
export async function replicaExitData(r: Replica, account: bigint): Promise<ExitData> {
  const freeze = await readFreeze(r.provider, r.settlement);
  return r.withState(async ({ state, progress: p }) => {
    // a stopped replay first: its tree says nothing about which accounts exist
    if (p.replay !== "on")
      throw new ReplicaError(
        "REPLICA_INCOMPLETE",
        `this replica's tree is not the chain's: ${p.replayNote ?? "its replay stopped"}`,
      );
    if (account === 0n || !state.hasAccount(account))
      throw new ZkClearError(
        "ACCOUNT_NOT_FOUND",
        `account ${account} has no leaf in this replica's tree (${p.nextBatch} batches replayed)`,
      );
    const frozen = freeze.frozenAt !== 0n;
    if (frozen && (p.nextBatch !== freeze.batches || state.root !== freeze.root))
      throw new ReplicaError(
        "REPLICA_ROOT_MISMATCH",
        `the replica has replayed ${p.nextBatch} batches to root ${state.root}; the freeze is after ${freeze.batches} batches at root ${freeze.root}`,
      );
    const roundId = frozen ? freeze.roundId : p.lastRoundUsed;
    const marks =
      p.rounds[roundId.toString()]?.prices ??
      (await frozenMarks(r.provider, r.oracle, roundId, state.markets.length));
    const fundingIndices =
      roundId === 0n
        ? state.markets.map(() => 0n)
        : await fundingIndicesAt(r.provider, r.funding, roundId);
    return exitDataOf(
      state,
      account,
      {
        chainId: r.chainId,
        settlement: r.settlement,
        batches: p.nextBatch,
        roundId,
        marks,
        fundingIndices,
        margins: await roundMarginsOf(r.provider, r.oracle, roundId, marks.length),
      },
      `replica ${r.member}${frozen ? "" : " (live: not frozen)"}`,
    );
  });
}
