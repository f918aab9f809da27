import { COLLATERAL_BITS } from "../domain/constants.ts";
import { fitsSigned } from "../domain/amounts.ts";
import { isolationFlag, type Account } from "../domain/account.ts";
import { destinationRefusal, type SignedTransfer } from "../domain/sub-accounts.ts";
import type { LeafSlotFields, TransferDestinationFields } from "../domain/inputs.ts";
import type { ExchangeState } from "./state.ts";
import { emptyLeafWitness, leafWitness } from "./leaf-witness.ts";

function renamed(
  leaf: LeafSlotFields,
  fields: { isTransfer: bigint; to: bigint; toFlag: bigint },
): TransferDestinationFields {
  return {
    ...fields,
    toAx: leaf.leafAx,
    toAy: leaf.leafAy,
    toBalance: leaf.leafBalance,
    toWord: leaf.leafWord,
    toNotional: leaf.leafNotional,
    toSiblings: leaf.siblings,
  };
}

/** A withdrawal's (or a padding slot's) destination fields: an empty leaf, nothing moved. */
export function noDestination(state: ExchangeState): TransferDestinationFields {
  return renamed(emptyLeafWitness(state), { isTransfer: 0n, to: 0n, toFlag: 0n });
}

/**
 * Why the transfer's destination cannot take it, or the destination after the credit: the
 * rules of WithdrawalSlot's section F, checked on the state after the source's debit
 * (the twin of `dest`). The source's rules are a withdrawal's (processWithdrawals).
 */
export function creditDestination(
  state: ExchangeState,
  st: SignedTransfer,
  source: Account,
  checked = true,
): { refusal: string } | { account: Account; fields: TransferDestinationFields } {
  const t = st.transfer;
  const dest = state.hasAccount(t.to) ? state.getAccount(t.to) : undefined;
  const refusal = destinationRefusal(t, source, dest);
  // adversarial tests (checked false) get the witness of a destination the rules refuse;
  // a missing one has none (the empty leaf has no preimage)
  if (dest === undefined || (checked && refusal)) return { refusal: refusal! };
  const collateral = dest.collateral + t.amount;
  if (checked && !fitsSigned(collateral, COLLATERAL_BITS))
    return { refusal: `account ${t.to}'s collateral would exceed 2^${COLLATERAL_BITS}` };
  return {
    account: { ...dest, collateral },
    fields: renamed(leafWitness(state, t.to), {
      isTransfer: 1n,
      to: t.to,
      toFlag: isolationFlag(t),
    }),
  };
}
