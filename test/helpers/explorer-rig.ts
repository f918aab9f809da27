import type { Contract } from "ethers";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { exitCallArgs } from "../../prover/src/chain/exit.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { signExit } from "../../prover/src/domain/exit.ts";
import { exitInput } from "../../prover/src/engine/exit.ts";
import type { FastifyInstance } from "fastify";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { forceWithdrawArgs, signForcedRequest } from "../../prover/src/domain/forced.ts";
import { deposit, postRound, type Participant } from "../../prover/src/dev/onchain.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { operatorExplorerSource } from "../../prover/src/service/explorer-source.ts";
import { increaseTime } from "./chain.ts";
import { startOperator, type OperatorRig } from "./operator.ts";

/** The prices of the rig's two oracle rounds: trades at the first, valued at the second. */
export const MARKS_1 = [60_000_00n, 3_000_00n];
export const MARKS_2 = [61_250_00n, 2_940_00n];
const TO = 0xf0f0000000000000000000000000000000000003n;

/**
 * A real operator (real chain, real proofs) with something to show, and its HTTP API with
 * the explorer mounted, listening on 127.0.0.1: three traders deposit; alice buys 2 lots of
 * market 0 from bob and sells 5 of market 1 to carol at round 1; bob's forced withdrawal is
 * answered (paid); round 2 moves the prices. `freeze()` then freezes Settlement (an
 * uncredited deposit left past its deadline) and lets the operator see it.
 */
export interface ExplorerRig {
  readonly rig: OperatorRig;
  readonly alice: Participant;
  readonly bob: Participant;
  readonly carol: Participant;
  readonly url: string;
  readonly settlement: string;
  freeze(): Promise<void>;
  /** After the freeze: `who` proves its exit (a real proof) and Settlement takes it. */
  exit(who: Participant): Promise<bigint>;
  close(): Promise<void>;
}

/** Ticks until every batch cut has settled (or fails after `max` steps). */
async function settleAll(rig: OperatorRig, flushTrades = false, max = 30): Promise<void> {
  for (let i = 0; i < max; i++) {
    await rig.op.tick({ flushTrades });
    if (rig.op.pendingWork().batches === 0 && rig.op.pendingWork().matches === 0) return;
  }
  throw new Error(`batches still pending after ${max} steps: ${rig.op.halted ?? ""}`);
}

export async function startExplorerRig(): Promise<ExplorerRig> {
  const rig = await startOperator(3, "zkclear-explorer-");
  const w = rig.w;
  const [alice, bob, carol] = w.participants;
  for (const p of [alice, bob, carol]) await deposit(w, p, 1_000_000_00n);
  await postRound(w, MARKS_1);
  await settleAll(rig);
  const t = (p: Participant) => ({ index: p.account!, keys: p.keys });
  const trade = (buyer: Participant, seller: Participant, market: number, amount: bigint) => {
    const fields = { market, nonce: 1n, amount, limitPrice: MARKS_1[market] };
    rig.op.submitOrder(order(w, t(buyer), { ...fields, side: "buy" }));
    rig.op.submitOrder(order(w, t(seller), { ...fields, side: "sell" }));
  };
  trade(alice, bob, 0, 2n);
  trade(carol, alice, 1, 5n);
  await settleAll(rig, true);

  const forced = signForcedRequest(
    { account: bob.account!, amount: 1_000n, recipient: TO },
    rig.op.state.getAccount(bob.account!).withdrawNonce,
    bob.keys.privateKey,
    w.domain,
  );
  const fee = BigInt(await w.d.settlement.getFunction("forcedRequestFee")());
  await (
    await (w.d.settlement.connect(bob.signer) as Contract).getFunction("forceWithdraw")(
      ...forceWithdrawArgs(forced),
      { value: fee },
    )
  ).wait();
  await settleAll(rig);
  await postRound(w, MARKS_2);
  await settleAll(rig);

  const settlement = w.deployment.addresses.settlement;
  const app: FastifyInstance = buildApi(
    rig.op,
    undefined,
    operatorExplorerSource({
      op: rig.op,
      chain: rig.chain,
      chainId: w.deployment.chainId,
      settlement,
      params: w.p.name,
    }),
  );
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    rig,
    alice,
    bob,
    carol,
    url,
    settlement,
    async freeze() {
      await deposit(w, bob, 5_000n); // never credited: the operator does not tick
      await increaseTime(DEPLOY_DEFAULTS.forcedDeadline + 5);
      await (await w.d.settlement.getFunction("freeze")()).wait();
      await rig.op.tick();
    },
    async exit(who: Participant) {
      const to = BigInt(await who.signer.getAddress());
      const sig = signExit(who.account!, to, who.keys.privateKey, w.domain);
      const input = exitInput(
        rig.op.state,
        who.account!,
        to,
        sig,
        w.marks,
        w.fundingIndices,
        oneX(w.marks.length),
      );
      const proof = await w.prover.prove("exit_account", CIRCUITS.exit_account.toSignals(input));
      const s = w.d.settlement.connect(who.signer) as Contract;
      await (await s.getFunction("exit")(...exitCallArgs(input, proof.proof))).wait();
      return input.payout;
    },
    async close() {
      await app.close();
      await rig.close();
    },
  };
}
