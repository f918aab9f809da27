import type { BatchDataOf } from "../domain/batch.ts";
import type { OperatorContext } from "./context.ts";
import type { PendingMatch, Sequencer } from "./sequencer.ts";
import { deleveragedOf } from "./batch-accounts.ts";
import { storeDroppedMatches } from "./dropped-matches.ts";

/**
 * After a liquidation batch that deleveraged accounts (batch `id`): their positions changed
 * under the fills still waiting for a trade batch, which were checked against the old ones
 * (a closing fill may now open a position, or need more margin than is left). Those fills
 * are dropped, with any checked against them, and their orders cancelled with the reason,
 * in one store transaction; the rest are projected again. Returns how many were dropped.
 */
export function dropDeleveragedMatches(
  ctx: OperatorContext,
  seq: Sequencer,
  d: BatchDataOf<"liquidations">,
  id: number,
): number {
  const hit = new Set(deleveragedOf(d));
  if (hit.size === 0) return 0;
  const ofHit = (p: PendingMatch) =>
    [p.match.maker, p.match.taker].some((o) => hit.has(o.signed.order.account));
  if (!seq.pending.some(ofHit)) return 0;
  const dropped = seq.dropPending(ofHit);
  const why = (p: PendingMatch) =>
    ofHit(p)
      ? `its fill of ${p.match.qty} at ${p.match.price} (match ${p.seq}) was dropped: batch ${id} deleveraged the account, changing the position the fill was checked against; the order is cancelled: sign again`
      : `its fill of ${p.match.qty} at ${p.match.price} (match ${p.seq}) was dropped: it was checked against a fill dropped after batch ${id}'s deleveraging; the order is cancelled: sign again`;
  storeDroppedMatches(ctx, dropped, why, "the deleveraged accounts' matches");
  ctx.log(
    `batch ${id}: ${dropped.length} pending match(es) dropped, checked against positions its deleveraging changed`,
  );
  return dropped.length;
}
