import type { EdDSASignature } from "../domain/keys.ts";
import { exitPayout } from "../domain/exit.ts";
import { FIRST_USER_ACCOUNT } from "../domain/constants.ts";
import { packMarketParams, priceConfigHash } from "../domain/market.ts";
import type { ExitAccountInput } from "../domain/inputs.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { ExchangeState } from "./state.ts";
import { leafWitness } from "./transfers.ts";

/**
 * The input of ExitAccount for `account` in `state` (the tree at the frozen root, as a
 * replica or the user's receipt rebuilds it), paying `recipient` at `marks` (the round
 * recorded at the freeze): the twin of ExitAccount.
 */
export function exitInput(
  state: ExchangeState,
  account: bigint,
  recipient: bigint,
  signature: EdDSASignature,
  marks: readonly bigint[],
): ExitAccountInput {
  if (account < FIRST_USER_ACCOUNT)
    throw new ZkClearError(
      "WITHDRAW_SYSTEM_ACCOUNT",
      `account ${account} is a system account: it does not exit by proof`,
    );
  if (!state.hasAccount(account))
    throw new ZkClearError("ACCOUNT_NOT_FOUND", `account ${account} has no leaf in this tree`);
  return {
    root: state.root,
    priceConfigHash: priceConfigHash(state.markets, state.domain, marks),
    account,
    recipient,
    payout: exitPayout(state.getAccount(account), marks),
    marketParam: state.markets.map(packMarketParams),
    domain: state.domain,
    mark: [...marks],
    ...leafWitness(state, account),
    sigR8x: signature.r8x,
    sigR8y: signature.r8y,
    sigS: signature.s,
  };
}
