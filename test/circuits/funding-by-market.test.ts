import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeSigned, encodeSigned } from "../../prover/src/domain/amounts.ts";
import { newAccount, packPositionWord, type Account } from "../../prover/src/domain/account.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { settleFunding, settleFundingByMarket } from "../../prover/src/domain/funding.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { assertEveryWireFixed } from "../helpers/determinism.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";

const M = 3;
const pos = (size: bigint, notional: bigint, fundingIndex: bigint) => ({
  size,
  notional,
  nonce: 0n,
  filled: 0n,
  fundingIndex,
});
const fund = (positions: ReturnType<typeof pos>[], collateral = 1_000_000n): Account => ({
  ...newAccount(devKeyPair("fund-by-market").publicKey, M, collateral),
  positions,
});

/**
 * The insurance fund's funding, market by market (circuits/src/funding.circom,
 * SettleFundingByMarket; twin prover/src/domain/funding.ts, settleFundingByMarket): each
 * market's payment is rounded on its own and charged to that market's notional, so it moves
 * that market's compartment only and never the fund's reserve.
 */
describe("SettleFundingByMarket: the fund pays each market's funding from that market's compartment", function () {
  let probe: ProbeBuild;
  before(async function () {
    // inputs public, so that --O2 keeps a wire for each, for the determinism check
    probe = await compileProbe(
      "settle_funding_by_market_3",
      "funding.circom",
      `SettleFundingByMarket(${M})`,
      { wasm: true, publicInputs: ["size", "lastIndex", "index", "word", "notional"] },
    );
  });

  const inputs = (a: Account, indices: readonly bigint[]) => ({
    size: a.positions.map((p) => encodeSigned(p.size).toString()),
    lastIndex: a.positions.map((p) => encodeSigned(p.fundingIndex).toString()),
    index: indices.map((x) => encodeSigned(x).toString()),
    word: a.positions.map((p) => packPositionWord(p).toString()),
    notional: a.positions.map((p) => encodeSigned(p.notional).toString()),
  });
  const outputs = (w: readonly bigint[], name: string) => {
    const sym = readSymbols(probe.sym!);
    return Array.from({ length: M }, (_, j) => w[sym.get(`main.${name}[${j}]`)!]);
  };

  const size = fc.oneof(fc.bigInt(-(1n << 40n), 1n << 40n), fc.bigInt(-(1n << 64n), 1n << 64n));
  const index = fc.oneof(fc.bigInt(-(1n << 30n), 1n << 30n), fc.bigInt(-(1n << 63n), 1n << 63n));
  const arbFund = fc
    .array(fc.tuple(size, fc.bigInt(-(1n << 100n), 1n << 100n), index), {
      minLength: M,
      maxLength: M,
    })
    .map((ps) => fund(ps.map(([s, n, i]) => pos(s, n, i))));
  const arbIndices = fc.array(index, { minLength: M, maxLength: M });

  it("agrees with settleFundingByMarket, at the ends of the ranges too (property)", async function () {
    await fc.assert(
      fc.asyncProperty(arbFund, arbIndices, async (a, now) => {
        const twin = settleFundingByMarket(a, now);
        const w = await calculateWitness(probe.wasm!, inputs(a, now));
        assert.deepEqual(outputs(w, "payment").map(decodeSigned), twin.payments);
        assert.deepEqual(
          outputs(w, "notionalOut").map(decodeSigned),
          twin.account.positions.map((p) => p.notional),
        );
        assert.deepEqual(outputs(w, "wordOut"), twin.account.positions.map(packPositionWord));
      }),
      { numRuns: 60 },
    );
    const top = fund([
      pos(1n << 64n, 0n, -(1n << 63n)),
      pos(-(1n << 64n), 0n, -(1n << 63n)),
      pos(1n, 0n, 0n),
    ]);
    const edge = [1n << 63n, 1n << 63n, 1n];
    const w = await calculateWitness(probe.wasm!, inputs(top, edge));
    assert.deepEqual(
      outputs(w, "payment").map(decodeSigned),
      settleFundingByMarket(top, edge).payments,
    );
    assert.deepEqual(settleFundingByMarket(top, edge).payments, [1n << 108n, -(1n << 108n), 1n]);
  });

  it("moves each compartment by its own market's funding and leaves the reserve alone", function () {
    fc.assert(
      fc.property(
        arbFund,
        arbIndices,
        fc.array(fc.bigInt(1n, 1n << 40n), { minLength: M, maxLength: M }),
        (a, now, marks) => {
          const after = settleFundingByMarket(a, now);
          assert.equal(after.account.collateral, a.collateral, "the reserve paid funding");
          const before = compartmentValues(a, marks);
          const moved = compartmentValues(after.account, marks);
          moved.forEach((c, j) =>
            assert.equal(c, before[j] - after.payments[j], `compartment ${j}`),
          );
          // the same exact funding as a whole-account settlement, rounded per market instead
          // of once: at most M - 1 units more
          const whole = settleFunding(a, now).payment;
          const sum = after.payments.reduce((s, p) => s + p, 0n);
          assert.ok(sum >= whole && sum - whole < BigInt(M), `${sum} against ${whole}`);
        },
      ),
      { numRuns: 100 },
    );
    // one lot long in market 0 and one short in market 1, each index up by one unit:
    // each market rounds its own fraction against the fund
    const a = fund([pos(1n, 0n, 0n), pos(-1n, 0n, 0n), pos(0n, 0n, 0n)]);
    assert.deepEqual(settleFundingByMarket(a, [1n, 1n, 0n]).payments, [1n, 0n, 0n]);
    assert.deepEqual(settleFundingByMarket(a, [FUNDING_SCALE, FUNDING_SCALE, 5n]).payments, [
      1n,
      -1n,
      0n,
    ]);
  });

  it("refuses a payment moved between markets (forged witness)", async function () {
    const a = fund([pos(3n, 100n, 0n), pos(-2n, -50n, 0n), pos(0n, 0n, 0n)]);
    const idx = [2_500_000n, -700_001n, 0n];
    const honest = await calculateWitness(probe.wasm!, inputs(a, idx));
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    const forged = [...honest];
    for (const [j, delta] of [
      [0, 1n],
      [1, -1n],
    ] as const) {
      for (const name of ["payment", "notionalOut"]) {
        const wire = sym.get(`main.${name}[${j}]`);
        if (wire === undefined || wire < 0) continue;
        forged[wire] = encodeSigned(decodeSigned(honest[wire]) - delta);
      }
    }
    assert.ok(
      unsatisfiedConstraints(r1cs, forged).length > 0,
      "a payment moved between markets was accepted",
    );
  });

  it("has one witness per input: every wire is fixed by the fund's positions and the indices", async function () {
    await assertEveryWireFixed(probe, "funding.circom", "SettleFundingByMarket");
  });
});
