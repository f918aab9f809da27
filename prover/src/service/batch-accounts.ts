import type { BatchData } from "../domain/batch.ts";
import { isTransfer } from "../domain/sub-accounts.ts";

/** The accounts a batch changes (liquidators included); the fee account and fund aside. */
export function accountsOf(d: BatchData): bigint[] {
  switch (d.kind) {
    case "deposits":
      return d.deposits.map((x) => x.account);
    case "trades":
      return d.trades.flatMap((t) => [t.buy.order.account, t.sell.order.account]);
    case "withdrawals":
      // a transfer changes its destination too
      return d.withdrawals.flatMap((x) =>
        isTransfer(x) ? [x.transfer.from, x.transfer.to] : [x.withdrawal.account],
      );
    case "liquidations":
      return [...d.accounts, ...takersOf(d), ...deleveragedOf(d)];
    case "forced":
      return d.requests.map((x) => x.account);
  }
}

/** The liquidators of a liquidation batch (none for other kinds). */
export function takersOf(d: BatchData): bigint[] {
  if (d.kind !== "liquidations" || !d.takers) return [];
  return d.takers.flatMap((t) => (t ? [t.offer.offer.account] : []));
}

/** The accounts a liquidation batch deleveraged (none for other kinds). */
export function deleveragedOf(d: BatchData): bigint[] {
  if (d.kind !== "liquidations") return [];
  return (d.deleveraged ?? []).flatMap((m) => m.entries.map((e) => e.account));
}
