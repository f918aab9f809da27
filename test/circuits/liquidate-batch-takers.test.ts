import { devOwners } from "../../prover/src/domain/owners.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { deploymentDomain } from "../../prover/src/domain/messages.ts";
import { newAccount, type Account } from "../../prover/src/domain/account.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate, type LiquidationRequest } from "../../prover/src/engine/liquidations.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { assertRefused, witnessFor } from "../helpers/circuit.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P,
  keyOf,
  markets,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const publicOf = (r: ReturnType<typeof liquidate>) => [
  r.oldRoot,
  r.newRoot,
  r.dataCommitment,
  r.priceConfigHash,
];
const forged = (requests: LiquidationRequest[]) =>
  liquidate(world(), requests, MARKS, P.liquidations, { unchecked: true }, INDICES);

describe("LiquidateBatch circuit with liquidators (test parameters)", function () {
  it("proves a liquidation taken by a liquidator and a split one, as the engine computes them", async function () {
    const offer = offerOf(5n, OFFER_TERMS);
    const r = liquidate(
      world(),
      [taken(3n, offer, [true, false]), taken(6n, offer, [false, true])],
      MARKS,
      P.liquidations,
      {},
      INDICES,
    );
    assert.equal(r.takers.length, 2);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(1, 5), publicOf(r));
    // one with a liquidator, one without, and padding
    const mixed = liquidate(world(), [taken(6n, offer, [true, false])], MARKS, P.liquidations);
    assert.equal(mixed.input.slots[1].enabled, 0n);
    assert.deepEqual((await witnessFor(liq(mixed.input))).slice(1, 5), publicOf(mixed));
  });

  it("refuses each taker rule broken, in the constraint that states it", async function () {
    const cases: [string, LiquidationRequest[]][] = [
      ["TakerIsNotAccount", [taken(3n, offerOf(3n, OFFER_TERMS), [true, false])]],
      ["NotSystemAccount", [taken(3n, offerOf(1n, OFFER_TERMS), [true, false])]],
      [
        "EdDSAPoseidonVerifier",
        [taken(3n, offerOf(5n, OFFER_TERMS, { signer: 7n }), [true, false])],
      ],
      [
        "EdDSAPoseidonVerifier",
        [taken(3n, offerOf(5n, OFFER_TERMS, { domain: deploymentDomain(1n, 1n) }), [true, false])],
      ],
      [
        "OfferCoversSize",
        [
          taken(
            6n,
            offerOf(5n, [
              [10n, 50n],
              [1n, 50n],
            ]),
            [false, true],
          ),
        ],
      ],
      [
        "DiscountWithinPenalty",
        [
          taken(
            3n,
            offerOf(5n, [
              [10n, 101n],
              [10n, 50n],
            ]),
            [true, false],
          ),
        ],
      ],
      ["MarginRequirement", [taken(3n, offerOf(7n, OFFER_TERMS), [true, false])]],
    ];
    for (const [template, requests] of cases) {
      await assertRefused(liq(forged(requests).input), template);
    }
  });

  it("refuses a take bit without a liquidator, and takers other than the committed ones", async function () {
    const r = liquidate(world(), [3n], MARKS, P.liquidations, {}, INDICES);
    const slots = r.input.slots.map((s, i) => (i === 0 ? { ...s, take: [1n, 0n] } : s));
    await assertRefused(liq({ ...r.input, slots }), "TakeBits");
    // a liquidator the commitment does not name: the commitment of a fund-only batch
    const t = liquidate(
      world(),
      [taken(3n, offerOf(5n, OFFER_TERMS), [true, false])],
      MARKS,
      P.liquidations,
      {},
      INDICES,
    );
    await assertRefused(liq({ ...t.input, dataCommitment: r.dataCommitment }), "LiquidateBatch");
  });

  it("refuses a liquidator that takes nothing, or takes a zero-size position, in TakeBits (the engine's OFFER_NOT_COVERING)", async function () {
    const offer = offerOf(5n, OFFER_TERMS);
    // 3 holds 1 BTC and no ETH
    for (const take of [
      [false, false],
      [true, true],
      [false, true],
    ]) {
      const request = taken(3n, offer, take);
      assert.throws(
        () => liquidate(world(), [request], MARKS, P.liquidations, {}, INDICES),
        (e: unknown) => e instanceof ZkClearError && e.code === "OFFER_NOT_COVERING",
      );
      const f = forged([request]);
      assert.equal(f.input.slots[0].takerEnabled, 1n);
      await assertRefused(liq(f.input), "TakeBits");
    }
  });

  it("agrees with the engine on random batches with liquidators (property)", async function () {
    // accounts below maintenance by `deficit` (funding at INDICES moves at most 40)
    const row = fc.record({
      deficit: fc.bigInt(50n, 400_000n),
      btc: fc.oneof(fc.bigInt(-3n, -1n), fc.bigInt(1n, 3n)),
      eth: fc.bigInt(-4n, 4n),
      // the liquidator (0: none, else one of two) and what it takes
      taker: fc.integer({ min: 0, max: 2 }),
      take: fc.tuple(fc.boolean(), fc.boolean()),
    });
    const liquidator = fc.record({
      collateral: fc.bigInt(0n, 4_000_000n),
      maxSize: fc.tuple(fc.bigInt(0n, 5n), fc.bigInt(0n, 5n)),
      discount: fc.tuple(fc.bigInt(0n, 104n), fc.bigInt(0n, 104n)),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: P.liquidations }),
        fc.tuple(liquidator, liquidator),
        fc.bigInt(3_500_000n, 6_500_000n),
        async (rows, liquidators, btc) => {
          const marks = [btc, 300_000n];
          const base = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
          base.setAccount(INSURANCE_ACCOUNT, {
            ...base.getAccount(INSURANCE_ACCOUNT),
            collateral: 10n ** 12n,
          });
          liquidators.forEach((l, k) =>
            base.setAccount(BigInt(10 + k), {
              ...newAccount(keyOf(BigInt(10 + k)).publicKey, 2, l.collateral),
            }),
          );
          const requests: LiquidationRequest[] = rows.map((r, i) => {
            const account = BigInt(3 + i);
            const abs = (x: bigint) => (x < 0n ? -x : x);
            const maintenance = (abs(r.btc) * btc * 500n + abs(r.eth) * 300_000n * 500n) / 10_000n;
            const pnl = r.btc * (btc - 5_000_000n) + r.eth * (300_000n - 320_000n);
            const a: Account = {
              ...newAccount(devKeyPair(`prop-${i}`).publicKey, 2, maintenance - pnl - r.deficit),
              positions: [
                {
                  size: r.btc,
                  notional: r.btc * 5_000_000n,
                  nonce: 1n,
                  filled: 0n,
                  fundingIndex: 0n,
                },
                {
                  size: r.eth,
                  notional: r.eth * 320_000n,
                  nonce: 1n,
                  filled: 0n,
                  fundingIndex: 0n,
                },
              ],
            };
            base.setAccount(account, a);
            // takes only positions the account holds (the engine refuses other takes,
            // which the circuit allows: nothing moves)
            const take = [r.take[0] && r.btc !== 0n, r.take[1] && r.eth !== 0n];
            if (r.taker === 0 || !take.some((x) => x)) return { account };
            const l = liquidators[r.taker - 1];
            const terms: [bigint, bigint][] = [0, 1].map((j) => [l.maxSize[j], l.discount[j]]);
            // an offer of maxSize 0 everywhere still signs (the circuit's rule is the size)
            return taken(account, offerOf(BigInt(9 + r.taker), terms), take);
          });
          const copy = () => {
            const c = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
            for (const i of [INSURANCE_ACCOUNT, 10n, 11n, ...requests.map((q) => q.account)])
              c.setAccount(i, base.getAccount(i));
            return c;
          };
          let outcome: string;
          try {
            const r = liquidate(copy(), requests, marks, P.liquidations, {}, INDICES);
            outcome = "accepted";
            const w = await witnessFor(liq(r.input));
            assert.deepEqual(w.slice(1, 5), publicOf(r));
          } catch (e) {
            if (!(e instanceof ZkClearError) || e.code === "WITNESS_CONSTRAINT_FAILED") throw e;
            outcome = e.code;
          }
          if (outcome !== "accepted") {
            // what the engine refuses, the circuit refuses too
            const f = liquidate(
              copy(),
              requests,
              marks,
              P.liquidations,
              { unchecked: true },
              INDICES,
            );
            await assert.rejects(
              witnessFor(liq(f.input)),
              `circuit accepts what the engine refused (${outcome})`,
            );
          }
        },
      ),
      { numRuns: 16 },
    );
  });
});
