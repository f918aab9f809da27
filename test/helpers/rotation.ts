import assert from "node:assert/strict";
import { ZeroHash, id, type ContractTransactionResponse } from "ethers";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import type { KeyPair } from "../../prover/src/domain/keys.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { WORLD_TIMELOCK_DELAY, type World } from "../../prover/src/dev/onchain.ts";
import type { OperatorError, Operator } from "../../prover/src/service/operator.ts";

/** What the operator said to `f`: "accepted", or the refusal's code and message. */
export function refusalOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
    return { code: "accepted", message: "" };
  } catch (e) {
    return { code: (e as OperatorError).code, message: (e as Error).message };
  }
}

/** A fee withdrawal to `treasury` signed by `keys` (the fee owner's, or an old one). */
export function feeWithdrawal(
  w: World,
  keys: KeyPair,
  nonce: bigint,
  amount: bigint,
  treasury: string,
) {
  return signWithdrawal(
    { account: FEE_ACCOUNT, nonce, amount, recipient: BigInt(treasury) },
    keys.privateKey,
    w.domain,
  );
}

/** Ticks until every batch cut has settled on-chain (the operator never halts). */
export async function settleAll(op: Operator): Promise<void> {
  await op.tick();
  for (let i = 0; i < 30 && op.pendingWork().batches > 0; i++) {
    assert.equal(op.halted, undefined);
    await new Promise((r) => setTimeout(r, 200));
    await op.tick();
  }
  assert.equal(op.halted, undefined);
  assert.equal(op.pendingWork().batches, 0);
}

/**
 * Schedules Vault.queueOwnerKey(account, keys) on the governance timelock (delay
 * WORLD_TIMELOCK_DELAY) under `salt`; returns the call that executes it once the delay passed.
 */
export async function scheduleOwnerKey(
  w: World,
  account: bigint,
  keys: KeyPair,
  salt: string,
): Promise<() => Promise<ContractTransactionResponse>> {
  const tl = w.d.timelock;
  const to = await w.d.vault.getAddress();
  const k = keys.publicKey;
  const data = w.d.vault.interface.encodeFunctionData("queueOwnerKey", [account, k.x, k.y]);
  const s = id(salt);
  await (await tl.getFunction("schedule")(to, 0n, data, ZeroHash, s, WORLD_TIMELOCK_DELAY)).wait();
  return () =>
    tl.getFunction("execute")(to, 0n, data, ZeroHash, s) as Promise<ContractTransactionResponse>;
}
