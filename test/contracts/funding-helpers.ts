import assert from "node:assert/strict";
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { signReport, submitRoundArgs } from "../../prover/src/chain/oracle-reports.ts";
import type { World } from "../../prover/src/dev/onchain.ts";

/**
 * Helpers of the Funding tests (funding.test.ts, funding-deployment.test.ts): the chain
 * without ethers' cache, block time, and oracle rounds posted without binding them.
 */

/**
 * The chain without ethers' cache: a refusal asked twice with the same arguments within
 * 250 ms would otherwise be answered from the first asking, whatever happened meanwhile.
 */
export const uncached = new BrowserProvider(
  hre.network.provider as unknown as Eip1193Provider,
  undefined,
  { cacheTimeout: -1 },
);

/** The latest block's timestamp. */
export async function now(): Promise<bigint> {
  const b = (await uncached.send("eth_getBlockByNumber", ["latest", false])) as {
    timestamp: string;
  };
  return BigInt(b.timestamp);
}

/** Mines a block at unix time `t`, or just after the latest block if that is later. */
export async function mineAt(t: bigint): Promise<void> {
  const latest = await now();
  await uncached.send("evm_setNextBlockTimestamp", [Number(t > latest ? t : latest + 1n)]);
  await uncached.send("evm_mine", []);
}

/** The next block (and a call at "pending") will be at unix time `t`. */
export async function nextBlockAt(t: bigint): Promise<void> {
  await uncached.send("evm_setNextBlockTimestamp", [Number(t)]);
}

/** Posts oracle round w.round + 1 at `prices` without binding it (dev/onchain.ts postRound binds). */
export async function postUnbound(w: World, prices: readonly bigint[]): Promise<bigint> {
  const t = await now();
  const timestamp = t > w.roundTime ? t : w.roundTime + 1n;
  const roundId = w.round + 1n;
  const oracle = w.d.oracle;
  const signed = await Promise.all(
    w.oracleWallets.map((wallet) =>
      signReport(wallet, oracle.target as string, w.d.chainId, { roundId, timestamp, prices }),
    ),
  );
  await (await oracle.getFunction("submitRound")(...submitRoundArgs(roundId, signed))).wait();
  w.round = roundId;
  w.roundTime = timestamp;
  w.marks = [...prices];
  return roundId;
}

/** The code of the ZkClearError `p` is refused with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ZkClearError, `not a ZkClearError: ${(e as Error).message}`);
    return e.code;
  }
  assert.fail("it was taken");
}
