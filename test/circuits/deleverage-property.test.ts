import assert from "node:assert/strict";
import fc from "fast-check";
import type { BatchDataOf } from "../../prover/src/domain/batch.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { skipProofInput, skippedAccounts } from "../../prover/src/engine/skip-proof.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { WitnessError } from "../../prover/src/proving/prover.ts";
import { TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { settleCrash, world } from "../helpers/deleverage-world.ts";

const P = TEST_PARAMS;

/**
 * Random crash days, each settled by the engine and checked against the circuits
 * (differential): account 3's liquidation in BTC leaves the compartment short by a random
 * amount, opposed by random shorts (collateral, lots, entry price: profitable or not,
 * healthy or not) and flanked by longs on the fund's side. The liquidation batch the engine
 * builds is accepted by `LiquidateBatch` with the engine's root and commitment; the skip
 * circuit refuses a skip proof for every account the honest batch did not list; and a batch
 * that drops the top-ranked account admits a skip proof for it.
 */
const shortArb = fc.tuple(
  fc.bigInt(50_000n, 60_000_000n), // collateral
  fc.bigInt(1n, 3n), // lots
  fc.bigInt(3_600_000n, 7_000_000n), // entry price (the crash marks 4,000,000)
);
const longArb = fc.tuple(
  fc.bigInt(1_000_000n, 20_000_000n),
  fc.bigInt(1n, 2n),
  fc.bigInt(3_000_000n, 6_000_000n),
);
const dayArb = fc.record({
  compartment: fc.bigInt(0n, 3_000_000n),
  bankruptLots: fc.bigInt(1n, 3n),
  shorts: fc.array(shortArb, { minLength: 1, maxLength: 4 }),
  longs: fc.array(longArb, { maxLength: 1 }),
});
type Day = typeof dayArb extends fc.Arbitrary<infer T> ? T : never;

const crashWorld = (d: Day) => () =>
  world([d.compartment, 10_000_000n], d.shorts, d.longs, d.bankruptLots);

const skip = (
  before: ExchangeState,
  file: BatchDataOf<"liquidations">,
  account: bigint,
  unchecked = false,
) =>
  witnessFor({
    kind: "skipped_deleverage",
    input: skipProofInput(before, file, P, account, 0, { unchecked }),
  });

describe("auto-deleveraging, differential: random crash days against the circuits (test parameters)", function () {
  it("the engine's honest batch is the circuit's, and admits no skip proof for any account it left out", async function () {
    let deleveraged = 0;
    await fc.assert(
      fc.asyncProperty(dayArb, async (d) => {
        const { before, file, r } = settleCrash(crashWorld(d));
        const w = await witnessFor({ kind: "liquidate_batch", input: r.input });
        assert.equal(w[2], r.newRoot);
        assert.equal(w[3], r.dataCommitment);
        assert.deepEqual(skippedAccounts(before, file, P), []);
        const btc = file.deleveraged?.find((x) => x.market === 0);
        if (!btc || btc.fundSize === 0n) return;
        deleveraged++;
        const listed = new Set(btc.entries.map((e) => e.account));
        const last = 4n + BigInt(d.shorts.length + d.longs.length);
        for (let a = INSURANCE_ACCOUNT; a < last; a++) {
          if (listed.has(a)) continue;
          await assert.rejects(skip(before, file, a, true), WitnessError, `account ${a}`);
        }
      }),
      { numRuns: 14, seed: 2112 },
    );
    // the generator reaches the deleveraging (not only batches the compartment covers)
    assert.ok(deleveraged >= 5, `only ${deleveraged} of 14 days deleveraged`);
  });

  it("a batch that drops the top-ranked account admits a skip proof for it, and only for the accounts left out", async function () {
    let forged = 0;
    await fc.assert(
      fc.asyncProperty(dayArb, async (d) => {
        const honest = settleCrash(crashWorld(d));
        const btc = honest.file.deleveraged?.find((x) => x.market === 0);
        if (!btc || btc.entries.length === 0) return;
        forged++;
        const top = btc.entries[0].account;
        const { before, file, r } = settleCrash(crashWorld(d), {
          markets: [0],
          ranking: (rk) => rk.filter((x) => x.account !== top),
        });
        // the forged batch still passes the liquidation circuit: only a skip proof catches it
        await witnessFor({ kind: "liquidate_batch", input: r.input });
        const left = skippedAccounts(before, file, P);
        assert.ok(
          left.some((x) => x.account === top && x.market === 0),
          `account ${top} is not found left out`,
        );
        for (const x of left) await skip(before, file, x.account);
        const listed = new Set(file.deleveraged!.flatMap((x) => x.entries.map((e) => e.account)));
        const last = 4n + BigInt(d.shorts.length + d.longs.length);
        for (let a = INSURANCE_ACCOUNT; a < last; a++)
          if (!listed.has(a) && !left.some((x) => x.account === a))
            await assert.rejects(skip(before, file, a, true), WitnessError, `account ${a}`);
      }),
      { numRuns: 10, seed: 4224 },
    );
    assert.ok(forged >= 4, `only ${forged} of 10 days deleveraged an account`);
  });
});
