import { newAccount } from "../../prover/src/domain/account.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { TEST_PARAMS } from "./circuit.ts";

/** BTC's mark in these worlds: 4,000,000, down from the 6,000,000 both sides traded at. */
export const SHORTFALL_BTC = 4_000_000n;

/**
 * A world at the test parameters where a liquidation falls short. Account 3: long 1 BTC
 * bought at 6,000,000 with 1,250,000 (at 4,000,000: equity -750,000, all of it BTC's
 * loss); account 4 the matching short on 10,000,000. The insurance fund holds `reserve` in
 * its reserve and `btc` in BTC's compartment, optionally `fundSize` BTC lots (at the mark)
 * and a withdrawal nonce of `fundNonce`.
 */
export function shortfallWorld(reserve: bigint, btc = 0n, fundSize = 0n, fundNonce = 0n) {
  const P = TEST_PARAMS;
  const s = ExchangeState.genesis(P.depth, defaultMarkets(P.markets), SAMPLE_DOMAIN, devOwners());
  const flat = { size: 0n, notional: 0n, nonce: 0n, filled: 0n, fundingIndex: 0n };
  const put = (i: bigint, label: string, collateral: bigint, size: bigint) =>
    s.setAccount(i, {
      ...newAccount(devKeyPair(label).publicKey, 2, collateral),
      positions: [
        { size, notional: size * 6_000_000n, nonce: 1n, filled: 1n, fundingIndex: 0n },
        flat,
      ],
    });
  put(3n, "long", 1_250_000n, 1n);
  put(4n, "short", 10_000_000n, -1n);
  const fund = s.getAccount(INSURANCE_ACCOUNT);
  s.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    collateral: reserve,
    withdrawNonce: fundNonce,
    positions: [{ ...flat, size: fundSize, notional: fundSize * SHORTFALL_BTC - btc }, flat],
  });
  return s;
}
