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
  const credit = () => ({
    account: {
      ...state.getAccount(t.to),
      collateral: state.getAccount(t.to).collateral + t.amount,
    },
    fields: renamed(leafWitness(state, t.to), {
      isTransfer: 1n,
      to: t.to,
      toFlag: isolationFlag(t),
    }),
  });
  // adversarial tests: the witness of a destination the rules refuse
  if (!checked) return credit();
  const refusal = destinationRefusal(
    t,
    source,
    state.hasAccount(t.to) ? state.getAccount(t.to) : undefined,
  );
  if (refusal) return { refusal };
  const dest = state.getAccount(t.to);
  if (!fitsSigned(dest.collateral + t.amount, COLLATERAL_BITS))
    return { refusal: `account ${t.to}'s collateral would exceed 2^${COLLATERAL_BITS}` };
  return credit();
}
