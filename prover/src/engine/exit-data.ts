import { getAddress } from "ethers";
import { leafPreimage, type PublicKey } from "../domain/account.ts";
import { ZkClearError } from "../domain/errors.ts";
import {
  checkRoundZeroExit,
  exitPayout,
  exitSignerFields,
  requireExitSignature,
} from "../domain/exit.ts";
import { checkExitData, exitDataDomain, type ExitData } from "../domain/exit-data.ts";
import type { ExitAccountInput } from "../domain/inputs.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import { packMarketParams, priceConfigHash, type MarketParams } from "../domain/market.ts";
import { marginsWord, type RoundMargins } from "../domain/volatility.ts";
import { circuitSiblings } from "../domain/tree.ts";
import type { ExchangeState } from "./state.ts";

/** The freeze an exit is proven against, as Settlement records it. */
export interface FreezePoint {
  readonly chainId: bigint;
  readonly settlement: string;
  /** freezeInfo().batches */
  readonly batches: number;
  /** freezeInfo().roundId and the oracle's prices of that round. */
  readonly roundId: bigint;
  readonly marks: readonly bigint[];
  /** The Funding contract's indices for that round. */
  readonly fundingIndices: readonly bigint[];
  /** The oracle's margin multipliers of that round. */
  readonly margins: RoundMargins;
}

/**
 * `account`'s exit data in `state` (the tree at the frozen root, rebuilt by a replica):
 * its leaf, its siblings and the payout at the freeze's marks.
 */
export function exitDataOf(
  state: ExchangeState,
  account: bigint,
  at: FreezePoint,
  source: string,
): ExitData {
  if (account === 0n || !state.hasAccount(account))
    throw new ZkClearError("ACCOUNT_NOT_FOUND", `account ${account} has no leaf in this tree`);
  const leaf = state.getAccount(account);
  return checkExitData({
    chainId: at.chainId,
    settlement: getAddress(at.settlement),
    depth: state.depth,
    account,
    leaf,
    siblings: state.tree.proof(account).siblings,
    root: state.root,
    batches: at.batches,
    roundId: at.roundId,
    marks: [...at.marks],
    fundingIndices: [...at.fundingIndices],
    margins: at.margins,
    payout: exitPayout(leaf, at.marks, at.fundingIndices),
    source,
  });
}

/**
 * ExitAccount's input from exit data alone (no tree): the same input engine/exit.ts
 * exitInput builds from the whole state (a test checks both agree). Every account needs
 * its leaf key's signature of the recipient (domain/exit.ts signExit): the fee account's
 * and the insurance fund's are their owners' (EXIT_UNSIGNED without one); `pending` is the
 * system account's governed owner key the frozen root did not credit (engine/exit.ts).
 */
export function exitInputFromData(
  d: ExitData,
  config: { readonly markets: readonly MarketParams[]; readonly fundFloor: bigint },
  recipient: bigint,
  signature: EdDSASignature | null,
  pending: PublicKey | null = null,
): ExitAccountInput {
  checkExitData(d);
  const sig = requireExitSignature(d.account, signature);
  const domain = exitDataDomain(d);
  const markets = config.markets;
  const m = markets.length;
  const pre = leafPreimage(d.leaf);
  // a freeze before any oracle round: Settlement binds round 0 at zero marks
  const roundZero = d.roundId === 0n;
  if (roundZero) checkRoundZeroExit(d.account, d.leaf);
  return {
    root: d.root,
    priceConfigHash: priceConfigHash(
      { markets, fundFloor: config.fundFloor, domain },
      d.marks,
      d.fundingIndices,
      d.margins,
      { roundZero },
    ),
    account: d.account,
    recipient,
    payout: d.payout,
    ...exitSignerFields(d.account, pending),
    marketParam: markets.map(packMarketParams),
    domain,
    fundFloor: config.fundFloor,
    margins: marginsWord(d.margins),
    mark: [...d.marks],
    fundingIndex: [...d.fundingIndices],
    leafAx: pre[0],
    leafAy: pre[1],
    leafBalance: pre[2],
    leafWord: Array.from({ length: m }, (_, j) => pre[3 + 2 * j]),
    leafNotional: Array.from({ length: m }, (_, j) => pre[4 + 2 * j]),
    siblings: circuitSiblings(d.siblings),
    sigR8x: sig.r8x,
    sigR8y: sig.r8y,
    sigS: sig.s,
  };
}
