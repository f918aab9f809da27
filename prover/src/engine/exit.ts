import type { EdDSASignature } from "../domain/keys.ts";
import {
  checkRoundZeroExit,
  exitPayout,
  exitSignerFields,
  requireExitSignature,
} from "../domain/exit.ts";
import type { PublicKey } from "../domain/account.ts";
import { packMarketParams, priceConfigHash } from "../domain/market.ts";
import { marginsWord, type RoundMargins } from "../domain/volatility.ts";
import type { ExitAccountInput } from "../domain/inputs.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { ExchangeState } from "./state.ts";
import { leafWitness } from "./leaf-witness.ts";

/**
 * The input of ExitAccount for `account` in `state` (the tree at the frozen root, as a
 * replica or the user's receipt rebuilds it), paying `recipient` at `marks` (the round
 * recorded at the freeze) after funding at `indices` (that round's; `margins` its margin
 * multipliers, which the binding includes): the twin of
 * ExitAccount (circuits/src/exit-account.circom). Every account needs its leaf key's
 * signature of the recipient (domain/exit.ts signExit): a trader's key, and for the fee
 * account and the insurance fund their owners' keys (domain/owners.ts); none exits unsigned.
 * `pending`: for account 1 or 2, the governed owner key the frozen root did not credit yet
 * (Vault.exitSigner), which then signs instead of the leaf's key (signer = its Poseidon).
 */
export function exitInput(
  state: ExchangeState,
  account: bigint,
  recipient: bigint,
  signature: EdDSASignature | null,
  marks: readonly bigint[],
  indices: readonly bigint[],
  margins: RoundMargins,
  pending: PublicKey | null = null,
): ExitAccountInput {
  if (account === 0n)
    throw new ZkClearError("ACCOUNT_NOT_FOUND", "account 0 is the empty leaf: it does not exit");
  const sig = requireExitSignature(account, signature);
  if (!state.hasAccount(account))
    throw new ZkClearError("ACCOUNT_NOT_FOUND", `account ${account} has no leaf in this tree`);
  // all marks zero: the freeze came before any oracle round (Settlement._frozenBinding(0)),
  // when no trade could have opened a position
  const roundZero = marks.length > 0 && marks.every((p) => p === 0n);
  if (roundZero) checkRoundZeroExit(account, state.getAccount(account));
  return {
    root: state.root,
    priceConfigHash: priceConfigHash(state, marks, indices, margins, { roundZero }),
    account,
    recipient,
    payout: exitPayout(state.getAccount(account), marks, indices),
    ...exitSignerFields(account, pending),
    marketParam: state.markets.map(packMarketParams),
    domain: state.domain,
    fundFloor: state.fundFloor,
    margins: marginsWord(margins),
    mark: [...marks],
    fundingIndex: [...indices],
    ...leafWitness(state, account),
    sigR8x: sig.r8x,
    sigR8y: sig.r8y,
    sigS: sig.s,
  };
}
