import { order } from "../../prover/src/dev/sample.ts";
import type { Participant, World } from "../../prover/src/dev/onchain.ts";
import type { Operator, OperatorError } from "../../prover/src/service/operator.ts";

/** The test set's marks, and a round where market 0 falls 40 % (above the 25 % breaker bound). */
export const BREAKER_MARKS = [60_000_00n, 3_000_00n];
export const BREAKER_CRASH = [36_000_00n, 3_000_00n];

/**
 * Places fresh orders at the mark with an operator, each with the next nonce: answers the
 * order's status, or "CODE: message" when the operator refuses it.
 */
export function orderPlacer(w: () => World, op: () => Operator) {
  let nonce = 0n;
  return (who: Participant, market: number, side: "buy" | "sell", amount: bigint): string => {
    nonce += 1n;
    const so = order(
      w(),
      { index: who.account!, keys: who.keys },
      { market, side, nonce, amount, limitPrice: w().marks[market] },
    );
    try {
      return op().submitOrder(so).status;
    } catch (e) {
      return `${(e as OperatorError).code}: ${(e as Error).message}`;
    }
  };
}
