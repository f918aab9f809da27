import assert from "node:assert/strict";
import { Interface, type JsonRpcSigner } from "ethers";
import { loadArtifact } from "../../prover/src/chain/artifacts.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { toSolidityProof } from "../../prover/src/chain/calldata.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { tradeBinding } from "../../prover/src/domain/breakers.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import {
  deposit,
  devAttestationsFor,
  postRound,
  proveBatch,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, revertName, signers } from "../helpers/chain.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { TradeError } from "../../prover/src/engine/trades.ts";

const P = PARAM_SETS.test;
/** Settlement's custom errors (read once the contracts are compiled). */
const settlementErrors = () => new Interface(loadArtifact("Settlement").abi);
const MARKS = [60_000_00n, 3_000_00n];
/** Market 0 falls 40 %: more than the default breaker bound (25 %). */
const CRASH = [36_000_00n, 3_000_00n];

/**
 * The circuit breaker end to end on a real chain with real proofs: after a round that trips
 * market 0, a trade batch that reduces positions there (and trades market 1 freely) settles,
 * the engine refuses an increasing trade there, an operator that proves as if no breaker had
 * tripped is refused by Settlement, and the market opens again after the cool-down.
 */
describe("circuit breakers on chain: reduce-only trades after a large move (test parameters)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let nonce = 0n;

  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s: JsonRpcSigner[] = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]]);
    [alice, bob] = w.participants;
    await deposit(w, alice, 5_000_000_00n);
    await deposit(w, bob, 5_000_000_00n);
    await settleDeposits(w);
    await postRound(w, MARKS);
  });

  /** A fresh full-fill trade of `qty` on `market` at its mark: `buyer` buys from `seller`. */
  function trade(market: number, buyer: Participant, seller: Participant, qty: bigint): Trade {
    nonce += 1n;
    const side = (p: Participant, s: "buy" | "sell") =>
      order(
        w,
        { index: p.account!, keys: p.keys },
        { market, side: s, nonce, amount: qty, limitPrice: w.marks[market] },
      );
    return {
      buy: side(buyer, "buy"),
      sell: side(seller, "sell"),
      qty,
      price: w.marks[market],
      takerIsBuyer: true,
    };
  }

  it("binds each round's reduce-only markets into the trades' binding", async function () {
    await settleTradeBatch(w, [trade(0, alice, bob, 2n)]);
    await postRound(w, CRASH);
    assert.equal(w.reduceOnly, 1n);
    const s = w.d.settlement;
    const priceBinding = BigInt(await s.getFunction("roundBinding")(w.round));
    assert.equal(priceBinding, priceConfigHash(w.state, CRASH, w.fundingIndices, w.margins));
    assert.equal(
      BigInt(await s.getFunction("roundTradeBinding")(w.round)),
      tradeBinding(priceBinding, 1n, P.markets),
    );
  });

  it("settles trades that reduce the tripped market's positions, and market 1 trades on", async function () {
    // alice (long 2) sells 1 to bob (short 2): both reduce; market 1 opens new positions
    const rc = await settleTradeBatch(w, [trade(0, bob, alice, 1n), trade(1, alice, bob, 3n)]);
    assert.ok(rc.gasUsed > 0n);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
    assert.equal(w.state.getAccount(alice.account!).positions[0].size, 1n);
    assert.equal(w.state.getAccount(alice.account!).positions[1].size, 3n);
  });

  it("the engine refuses a trade that increases exposure in the tripped market, for its reason", async function () {
    const root = w.state.root;
    for (const t of [trade(0, alice, bob, 1n), trade(0, bob, alice, 2n)]) {
      await assert.rejects(
        proveBatch(w, {
          kind: "trades",
          trades: [t],
          marks: w.marks,
          round: w.round,
          fundingIndices: w.fundingIndices,
          margins: w.margins,
          reduceOnly: w.reduceOnly,
        }),
        (e: unknown) => e instanceof TradeError && e.code === "MARKET_REDUCE_ONLY",
      );
    }
    assert.equal(w.state.root, root, "a refused batch leaves the state as it was");
  });

  it("opens the market again once the cool-down has passed", async function () {
    await increaseTime(DEPLOY_DEFAULTS.breakerCooldown);
    await postRound(w, CRASH);
    assert.equal(w.reduceOnly, 0n);
    await settleTradeBatch(w, [trade(0, alice, bob, 1n)]);
    assert.equal(w.state.getAccount(alice.account!).positions[0].size, 2n);
  });

  it("Settlement refuses a batch proven as if the breaker had not tripped (InvalidProof)", async function () {
    await postRound(w, MARKS); // up 66 %: tripped again
    assert.equal(w.reduceOnly, 1n);
    // a dishonest operator proves an increasing trade with an empty reduce-only mask
    const { data, proof } = await proveBatch<"trades">(w, {
      kind: "trades",
      trades: [trade(0, alice, bob, 1n)],
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
      reduceOnly: 0n,
    });
    const submit = w.d.settlement.getFunction("submitTrades")(
      toSolidityProof(proof.proof),
      data.oldRoot,
      data.newRoot,
      data.dataCommitment,
      w.round,
      await devAttestationsFor(
        w.d,
        "trades",
        data.oldRoot,
        data.newRoot,
        data.dataCommitment,
        w.round,
      ),
    );
    await assert.rejects(submit, (e: unknown) => {
      // the revert data, decoded by Settlement's ABI (ethers leaves a gas estimate's undecoded)
      const data = (e as { data?: string }).data ?? "0x";
      assert.equal(settlementErrors().parseError(data)?.name ?? revertName(e), "InvalidProof");
      return true;
    });
  });
});
