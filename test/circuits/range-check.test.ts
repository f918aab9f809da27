import assert from "node:assert/strict";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { BN128_R } from "../../prover/src/proving/dev-zkey.ts";

const N = 8;
const TOP = 1n << BigInt(N);

/**
 * The range checks every circuit rests on (circuits/src/range-check.circom), at n = 8:
 * RangeCheck(n) takes exactly 0..2^n - 1, and SignedRangeCheck(n) exactly -2^n..2^n - 1 with
 * the right sign. Values around 0 and around one, two and three times the bound are tried
 * on both sides, so a check one bit wider (a signed one would take 2^n..3 * 2^n - 1, half of
 * them as negative) or narrower fails a test, not only a reading. AssertBit takes 0 and 1 only.
 */
describe("RangeCheck and SignedRangeCheck: exactly their ranges", function () {
  let unsigned: ProbeBuild;
  let signed: ProbeBuild;
  let bit: ProbeBuild;

  before(async function () {
    unsigned = await compileProbe("range_check_8", "range-check.circom", `RangeCheck(${N})`, {
      wasm: true,
    });
    signed = await compileProbe(
      "signed_range_check_8",
      "range-check.circom",
      `SignedRangeCheck(${N})`,
      { wasm: true },
    );
    bit = await compileProbe("assert_bit", "range-check.circom", "AssertBit()", { wasm: true });
  });

  /** Every value within 16 of a bound, of its double or of its triple, on both sides. */
  const around = [...new Set([-3n, -2n, -1n, 0n, 1n, 2n, 3n].map((k) => k * TOP))].flatMap((c) =>
    Array.from({ length: 33 }, (_, i) => c + BigInt(i) - 16n),
  );

  const taken = async (b: ProbeBuild, x: bigint) =>
    calculateWitness(b.wasm!, { in: String(x) }).then(
      (w) => w,
      () => null,
    );

  it("RangeCheck(8) takes 0..255 and nothing else", async function () {
    for (const x of around) {
      const w = await taken(unsigned, x);
      assert.equal(w !== null, x >= 0n && x < TOP, `RangeCheck(8) on ${x}`);
    }
  });

  it("SignedRangeCheck(8) takes -256..255, and says which are negative", async function () {
    for (const x of around) {
      const w = await taken(signed, x);
      assert.equal(w !== null, x >= -TOP && x < TOP, `SignedRangeCheck(8) on ${x}`);
      // outputs: the witness's wire 1 is `negative`
      if (w) assert.equal(w[1], x < 0n ? 1n : 0n, `the sign of ${x}`);
    }
  });

  it("AssertBit takes 0 and 1 and nothing else", async function () {
    const r = BN128_R;
    for (const x of [0n, 1n, 2n, 3n, 1n << 64n, r - 1n, r - 2n, (r + 1n) / 2n])
      assert.equal((await taken(bit, x)) !== null, x <= 1n, `AssertBit on ${x}`);
  });
});
