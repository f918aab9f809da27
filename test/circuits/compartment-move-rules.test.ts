import assert from "node:assert/strict";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import {
  COMPARTMENT_DIRECTION_SHIFT,
  COMPARTMENT_MARKET_SHIFT,
  COMPARTMENT_TAG,
  TRANSFER_BITS,
  WITHDRAW_AMOUNT_SHIFT,
  WITHDRAW_NONCE_SHIFT,
} from "../../prover/src/domain/constants.ts";
import { compartmentMoveHead } from "../../prover/src/domain/compartment-moves.ts";
import { FIELD_MODULUS, mod } from "../../prover/src/domain/field.ts";
import type { SignalValue } from "../../prover/src/domain/inputs.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { assertRefusedAt, editWitness, type WireEdit } from "../helpers/circuit.ts";

// CompartmentMove (circuits/src/compartment-move.circom) alone, on a probe of two markets:
// each rule of its section A and C broken by a move the fund's key signed, in a witness
// the rest of the template accepts, so that only the rule named refuses it. The mutation
// run (docs/verification.md) found these rules tested only inside a liquidation batch,
// where a witness that breaks one is refused by the signature or the batch's root first:
// deleting the amount's range check, a market bit or the one-market rule passed every
// test, and each lets the operator apply a signed move as another one (2^92 of capital
// the reserve does not have put in a compartment, an old signature replayed, one move
// credited to two compartments). `signed` and `delta` made `<--` are refused in the R1CS.

const FUND = devOwnerKeys().fund;
const DOMAIN = SAMPLE_DOMAIN;
/** The circuit's head in its field arithmetic (the twin assumes every field in range). */
function fieldHead(market: readonly bigint[], nonce: bigint, amount: bigint, toReserve: bigint) {
  const index = market.reduce((s, m, j) => s + BigInt(j) * m, 0n);
  return mod(
    COMPARTMENT_TAG +
      index * pow2(COMPARTMENT_MARKET_SHIFT) +
      nonce * pow2(WITHDRAW_NONCE_SHIFT) +
      amount * pow2(WITHDRAW_AMOUNT_SHIFT) +
      toReserve * pow2(COMPARTMENT_DIRECTION_SHIFT),
  );
}

interface Move {
  readonly enabled?: bigint;
  readonly market: readonly bigint[];
  readonly amount: bigint;
  readonly toReserve: bigint;
  /** The head the fund's key signed (default: the move's own). */
  readonly signedHead?: bigint;
  readonly collateral: bigint;
  readonly compartment: readonly bigint[];
  /** |size| * mark per market (default 0: no position). */
  readonly absValue?: readonly bigint[];
}

function inputs(m: Move): Record<string, SignalValue> {
  const head = m.signedHead ?? fieldHead(m.market, 0n, m.amount, m.toReserve);
  const sig = sign(FUND.privateKey, poseidon([head, DOMAIN]));
  const values: Record<string, bigint | bigint[]> = {
    enabled: m.enabled ?? 1n,
    market: m.market.map(mod),
    amount: mod(m.amount),
    toReserve: mod(m.toReserve),
    nonce: 0n,
    domain: DOMAIN,
    ax: FUND.publicKey.x,
    ay: FUND.publicKey.y,
    sigR8x: sig.r8x,
    sigR8y: sig.r8y,
    sigS: sig.s,
    collateral: mod(m.collateral),
    compartment: m.compartment.map(mod),
    absValue: [...(m.absValue ?? [0n, 0n])],
    mmBps: [500n, 500n],
  };
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
  );
}

/** A head the owner's tooling signs: a move of `amount` in `market`, nonce 0. */
const head = (market: number, amount: bigint, toReserve = false) =>
  compartmentMoveHead({ market, nonce: 0n, amount, toReserve });

describe("CompartmentMove: each rule broken by a signed move, alone (probe, two markets)", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe(
      "compartment_move",
      "compartment-move.circom",
      "CompartmentMove(2)",
      {
        wasm: true,
      },
    );
  });

  const witness = (m: Move) => calculateWitness(probe.wasm!, inputs(m));
  const output = (w: readonly bigint[], name: string) =>
    w[readSymbols(probe.sym!).get(`main.${name}`)!];
  const refusedAt = (m: Move, statement: string) =>
    assertRefusedAt(witness(m), "compartment-move.circom", "CompartmentMove", statement);

  it("applies a signed move as signed, at the tops of the amount's and the reserve's ranges", async function () {
    const into = await witness({
      market: [1n, 0n],
      amount: 1_000_000n,
      toReserve: 0n,
      collateral: 2_000_000n,
      compartment: [0n, 0n],
    });
    assert.equal(output(into, "collateralOut"), 1_000_000n);
    assert.deepEqual([output(into, "delta[0]"), output(into, "delta[1]")], [1_000_000n, 0n]);
    // 2^92 - 1 moved in from a reserve of exactly that; a reserve left above 2^127
    const top = pow2(TRANSFER_BITS) - 1n;
    await witness({
      market: [0n, 1n],
      amount: top,
      toReserve: 0n,
      collateral: top,
      compartment: [0n, 0n],
    });
    await witness({
      market: [1n, 0n],
      amount: 1n,
      toReserve: 0n,
      collateral: pow2(127) + 2n,
      compartment: [0n, 0n],
    });
  });

  it("refuses a signed move in replayed as a move out of amount - 2^92: 2^92 of capital the reserve lacks", async function () {
    const a = 1_000_000n;
    await refusedAt(
      {
        market: [1n, 0n],
        amount: a - pow2(TRANSFER_BITS),
        toReserve: 1n,
        signedHead: head(0, a),
        collateral: 2_000_000n,
        compartment: [0n, 0n],
      },
      "RangeCheck(TRANSFER_BITS())(amount);",
    );
  });

  it("refuses a signed move out read as a move in of 2^92 more (the amount's 93rd bit is the direction's)", async function () {
    const a = 1_000_000n;
    await refusedAt(
      {
        market: [1n, 0n],
        amount: pow2(TRANSFER_BITS) + a,
        toReserve: 0n,
        signedHead: head(0, a, true),
        collateral: pow2(TRANSFER_BITS + 1),
        compartment: [0n, 0n],
      },
      "RangeCheck(TRANSFER_BITS())(amount);",
    );
  });

  it("refuses market weights that are not bits: 16 * index would absorb another amount's signature", async function () {
    // 2^64 in market 1 adds 16 * 2^64 = 2^68 to the head: one unit of amount
    await refusedAt(
      {
        market: [1n - pow2(64), pow2(64)],
        amount: 1_000_000n,
        toReserve: 0n,
        signedHead: head(0, 1_000_001n),
        collateral: 2_000_000n,
        compartment: [0n, 0n],
      },
      "AssertBit()(market[j]);",
    );
  });

  it("refuses a move signed for market 1 credited to both compartments", async function () {
    await refusedAt(
      {
        market: [1n, 1n],
        amount: 1_000_000n,
        toReserve: 0n,
        signedHead: head(1, 1_000_000n),
        collateral: 2_000_000n,
        compartment: [0n, 0n],
      },
      "chosen === enabled;",
    );
  });

  it("refuses a direction of 1/16, which reads a signed amount of 2^88 + 10^6 as 875,000", async function () {
    const inv16 = (15n * FIELD_MODULUS + 1n) / 16n;
    await refusedAt(
      {
        market: [1n, 0n],
        amount: 1_000_000n,
        toReserve: inv16,
        signedHead: head(0, pow2(88) + 1_000_000n),
        collateral: 875_000n,
        compartment: [1_000_000n, 0n],
      },
      "AssertBit()(toReserve);",
    );
  });

  it("refuses a direction without a move", async function () {
    await refusedAt(
      {
        enabled: 0n,
        market: [0n, 0n],
        amount: 0n,
        toReserve: 1n,
        collateral: 0n,
        compartment: [0n, 0n],
      },
      "toReserve * (1 - enabled) === 0;",
    );
  });

  it("refuses an amount without a move: the reserve would pay it to no one, unsigned", async function () {
    await refusedAt(
      {
        enabled: 0n,
        market: [0n, 0n],
        amount: 1_000_000n,
        toReserve: 0n,
        collateral: 2_000_000n,
        compartment: [0n, 0n],
      },
      "amount * (1 - enabled) === 0;",
    );
  });

  it("refuses a move of 0, even signed by the fund's key", async function () {
    await refusedAt(
      { market: [1n, 0n], amount: 0n, toReserve: 0n, collateral: 0n, compartment: [0n, 0n] },
      "noAmount * enabled === 0;",
    );
  });

  it("refuses a move in that the reserve cannot pay", async function () {
    await refusedAt(
      {
        market: [1n, 0n],
        amount: 1_000_000n,
        toReserve: 0n,
        collateral: 999_999n,
        compartment: [0n, 0n],
      },
      "RangeCheck(COLLATERAL_BITS())(reserveChecked);",
    );
  });

  it("moves out down to the maintenance requirement, and refuses one unit more", async function () {
    // a position worth 20,000,000 at 5%: 1,000,000 must stay
    const out = (amount: bigint): Move => ({
      market: [1n, 0n],
      amount,
      toReserve: 1n,
      collateral: 0n,
      compartment: [3_000_000n, 0n],
      absValue: [20_000_000n, 0n],
    });
    await witness(out(2_000_000n));
    await refusedAt(out(2_000_001n), "RangeCheck(146)(slack);");
  });

  it("fixes the reserve and the compartments of no move in the R1CS (`signed`, `delta` made `<--`)", async function () {
    const none = await witness({
      enabled: 0n,
      market: [0n, 0n],
      amount: 0n,
      toReserve: 0n,
      collateral: 5_000_000n,
      compartment: [0n, 0n],
    });
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    assert.deepEqual(unsatisfiedConstraints(r1cs, none), []);
    const forge = (edits: Record<string, bigint>) =>
      unsatisfiedConstraints(
        r1cs,
        editWitness(
          none,
          sym,
          Object.entries(edits).map(([name, v]): WireEdit => [`main.${name}`, "set", v]),
        ),
      );
    // the reserve raised by one with no signature: `signed` = -1
    assert.ok(
      forge({ collateralOut: 5_000_001n, signed: FIELD_MODULUS - 1n }).length > 0,
      "a reserve changed by no move was accepted",
    );
    // a compartment credited with no move
    assert.ok(
      forge({ "delta[0]": 1n }).length > 0,
      "a compartment credited by no move was accepted",
    );
  });
});
