import type { OperatorContext } from "./context.ts";
import type { PendingMatch } from "./sequencer.ts";

/**
 * Records matches the sequencer dropped (Sequencer.dropPending): each leaves the store's
 * matches and both its orders are cancelled with `why`, in one store transaction. If the
 * store refuses, the books have moved but the store has not: only a restart rebuilds them,
 * so the operator fails (`what` names the matches in its reason).
 */
export function storeDroppedMatches(
  ctx: OperatorContext,
  dropped: readonly PendingMatch[],
  why: (p: PendingMatch) => string,
  what: string,
): void {
  const { store } = ctx;
  try {
    store.transaction(() => {
      for (const p of dropped) {
        store.matches.drop(p.seq);
        for (const o of [p.match.maker, p.match.taker]) {
          const stored = store.getOrder(o.id)!;
          store.updateOrder(o.id, "cancelled", stored.remaining + p.match.qty, why(p));
        }
      }
    });
  } catch (e) {
    ctx.fail(`the store refused to drop ${what}: ${String(e)}`);
    throw e;
  }
}
