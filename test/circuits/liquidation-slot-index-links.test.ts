import assert from "node:assert/strict";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { mod } from "../../prover/src/domain/field.ts";
import type { LiquidationSlotInput } from "../../prover/src/domain/inputs.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { statementLine } from "../helpers/circuit.ts";
import { INDICES, MARKS, P, world } from "../helpers/liquidators.ts";
import { FILE, SlotProbe, slotOf, slotSignals } from "../helpers/liquidation-slot-graft.ts";

// LiquidationSlot settles the liquidated account's accrued funding before it judges it
// (SettleFunding `funding`): owed = sum_j size_j * (index_j - lastIndex_j), where lastIndex
// is the funding field of the account's leaf word (AccountLeafUnpack `old`) and index the
// batch's funding index (bound by MarketBinding through priceConfigHash). Two `<==` feed
// them in: funding.lastIndex <== old.lastIndex and funding.index <== index. --O2
// substitutes both away; with one made `<--` the freed wire is pinned by nothing but the
// hash of the new leaf (whose word records index_j - lastIndex_j more than the old one),
// so neither the determinism stage nor a test that feeds inputs sees it.
//
// The forgery: a healthy account (account 3 of test/helpers/liquidators.ts with
// 2,250,000 collateral, long 1 BTC bought at 6,000,000: equity 1,150,000 at MARKS against
// a 245,000 requirement, and BTC's funding index has not moved) is charged 1,000,000 of
// BTC funding that neither its leaf nor the batch's indices owe, which leaves it at
// equity 150,000, under its requirement: it is liquidated from its real root, keeps
// 101,000 of its 1,150,000, and the fund books the liquidation of a 1,250,000 account.
// The --O0 probe whose link line reads a liquidator field instead (the slot has no
// liquidator, so those fields are free padding) computes that slot; its witness copied
// onto the --O2 probe of the sources under test must be refused (the R1CS without the
// link accepts it by construction:
// npm run mutate:circuits -- --tests <this file> --id liquidate-batch.circom:<line>:unconstrain).

const ACCOUNT = 3n;
/** Account 3's collateral in the healthy world (world() gives it 1,250,000). */
const HEALTHY_COLLATERAL = 2_250_000n;
/** The BTC funding the forged slot charges: 1,000,000 quote units, in index units. */
const FORGED_MOVE = 1_000_000n * FUNDING_SCALE;

function healthy(): ExchangeState {
  const s = world();
  s.setAccount(ACCOUNT, { ...s.getAccount(ACCOUNT), collateral: HEALTHY_COLLATERAL });
  return s;
}

interface Link {
  readonly statement: string;
  /** The replacement (at most the line's length): a liquidator field in place of the value. */
  readonly to: string;
  /** The carrier with the link's own value (account 3's lastIndex, or the batch's index). */
  readonly honest: Partial<LiquidationSlotInput>;
  /** The carrier with the value the forged slot settles BTC's funding from. */
  readonly forged: Partial<LiquidationSlotInput>;
  readonly title: string;
}

// account 3's leaf has both positions at funding index 0 (world()), INDICES = [0, 10 << 20]
const LINKS: readonly Link[] = [
  {
    statement: "funding.lastIndex <== old.lastIndex;",
    to: "funding.lastIndex<==takerNotional;",
    honest: { takerNotional: [0n, 0n] },
    forged: { takerNotional: [-FORGED_MOVE, 0n] },
    title:
      "refuses liquidating a healthy account for funding it never owed: the slot settles its BTC lot from a last index of -1,000,000 << 20 its leaf does not hold, charges it 1,000,000 and liquidates it (funding.lastIndex <== old.lastIndex)",
  },
  {
    statement: "funding.index <== index;",
    to: "funding.index<==offerTerm;",
    honest: { offerTerm: [...INDICES] },
    forged: { offerTerm: [FORGED_MOVE, INDICES[1]] },
    title:
      "refuses liquidating a healthy account for funding the batch never published: the slot settles its BTC lot at an index of 1,000,000 << 20 where the batch's is 0, charges it 1,000,000 and liquidates it (funding.index <== index)",
  },
];

describe("LiquidationSlot: the funding it settles is the leaf's and the batch's (witnesses grafted from --O0 probes at the R1CS level)", function () {
  let probe: SlotProbe;
  before(async function () {
    probe = await SlotProbe.compile("liquidation_slot_index_links");
  });

  it("account 3 is liquidated at equity 150,000 and is healthy with 2,250,000 (the engine)", function () {
    const r = liquidate(world(), [ACCOUNT], MARKS, P.liquidations, {}, INDICES);
    assert.equal(r.charges.length, 1);
    assert.throws(
      () => liquidate(healthy(), [ACCOUNT], MARKS, P.liquidations, {}, INDICES),
      /maintenance requirement/,
    );
  });

  for (const link of LINKS) {
    const line = statementLine(FILE, link.statement);
    it(`${link.title}, line ${line}`, async function () {
      // honest: the under-margined account 3 (1,250,000) liquidated as the engine does
      const after = world();
      const honestSlot = slotOf(after, { account: ACCOUNT });
      // forged: the healthy account, its slot as the engine would write it if asked
      const s = healthy();
      const forgedSlot = slotOf(healthy(), { account: ACCOUNT }, true);
      const { honest, forged } = await probe.graft(
        link,
        slotSignals(honestSlot, link.honest),
        slotSignals(forgedSlot, link.forged),
      );
      assert.deepEqual(probe.charges(honest), honestSlot.charges.map(mod), "the engine's charges");

      // from the healthy account's real root, the slot books what the honest liquidation
      // of the 1,250,000 account books: the same charges, the same lot moved to the fund
      assert.equal(probe.value(forged, "rootIn"), s.root, "the healthy account's real root");
      assert.deepEqual(probe.outputs(forged).slice(1), probe.outputs(honest).slice(1));
      // and writes the account's new leaf: 101,000 kept of its 1,150,000 equity, no lot,
      // BTC's funding field moved to 1,000,000 << 20 (the index it was charged up to)
      const liquidated = after.getAccount(ACCOUNT);
      s.setAccount(ACCOUNT, {
        ...liquidated,
        positions: liquidated.positions.map((p, j) =>
          j === 0 ? { ...p, fundingIndex: FORGED_MOVE } : p,
        ),
      });
      assert.equal(liquidated.collateral, 101_000n);
      assert.equal(probe.value(forged, "rootOut"), s.root, "account 3's forged new leaf");

      const broken = probe.broken(forged);
      assert.ok(broken.length > 0, `${link.statement} (line ${line}) must break a constraint`);
    });
  }
});
