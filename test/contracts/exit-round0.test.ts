import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { deposit, proveExit, settleDeposits, setupWorld } from "../../prover/src/dev/onchain.ts";
import { configHash } from "../../prover/src/domain/market.ts";
import { fundingHash } from "../../prover/src/domain/funding.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { marginsWord, oneX } from "../../prover/src/domain/volatility.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";

/**
 * A freeze before the oracle's first round: exits bind round 0 (Settlement._frozenBinding(0)
 * = _bind(zeros, 0)), whose margin multipliers are 1x (PriceOracle.roundMarginsWord(0)), so
 * a credited trader's exit lands. (An outside attack review found that the binding of
 * round 0 reverted UnknownRound(0) once the multipliers were bound, locking every credit.)
 */
const P = PARAM_SETS.test;
const DAY = 86_400;
const DEADLINE = 4 * DAY;

describe("an exit after a freeze at round 0 (real chain, real proof)", function () {
  after(terminateCurve);
  before(prepareTestContracts);

  it("a credited trader exits at round 0's binding, at 1x", async function () {
    const s = await signers(4);
    const w = await setupWorld(P, s[0], s.slice(1), {
      deploy: { forcedDeadline: DEADLINE, exitWindow: 2 * DAY },
    });
    const [a, b] = w.participants;
    await deposit(w, a, 1_000_000n);
    await settleDeposits(w); // credited by a real deposit proof; deposits need no round
    await deposit(w, b, 5_000n); // never credited: the freeze becomes due
    w.pending.length = 0;
    await increaseTime(DEADLINE);
    const settlement = w.d.settlement;
    await (await settlement.getFunction("freeze")()).wait();
    const [latest] = (await w.d.oracle.getFunction("latestRound")()) as [bigint, bigint];
    assert.equal(latest, 0n, "no oracle round was ever posted");

    const to = "0x00000000000000000000000000000000000e0e01";
    // the frozen round's marks are zeros and its indices tick 0's (Settlement._frozenBinding),
    // at 1x (no multiplier exists for round 0): the engine builds the exit at them, as a
    // replica's exit data states them (replica/exit.ts)
    const zeros = w.state.markets.map(() => 0n);
    const e = await proveExit(w, a.account!, to, a.keys, zeros, zeros, false, oneX(zeros.length));
    assert.equal(
      e.input.priceConfigHash,
      poseidon([
        poseidon([configHash(w.state), ...zeros]),
        fundingHash(zeros),
        marginsWord(oneX(zeros.length)),
      ]),
    );
    assert.ok(e.input.payout > 0n);

    // the binding of round 0 is at 1x (no round: PriceOracle.roundMarginsWord(0)), so the
    // exit lands and pays the trader's payout
    assert.equal(
      BigInt(await w.d.oracle.getFunction("roundMarginsWord")(0n)),
      marginsWord(oneX(zeros.length)),
    );
    await (await settlement.getFunction("exit")(...e.args)).wait();
    const [status, , payout] = (await settlement.getFunction("exitOf")(a.account!)) as [
      bigint,
      string,
      bigint,
    ];
    assert.equal(status, 1n, "claimed in the exit window");
    assert.equal(payout, e.input.payout);
  });
});
