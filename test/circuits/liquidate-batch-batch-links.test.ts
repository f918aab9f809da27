import assert from "node:assert/strict";
import type { Account, Position } from "../../prover/src/domain/account.ts";
import { signCompartmentMove } from "../../prover/src/domain/compartment-moves.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { liquidationCommitment } from "../../prover/src/domain/batch.ts";
import { deleverageCommitment } from "../../prover/src/domain/deleveraging.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import type { LiquidateBatchInput, LiquidationSlotInput } from "../../prover/src/domain/inputs.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { liquidate, type LiquidationResult } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { INDICES, MARKS, P, world } from "../helpers/liquidators.ts";
import { linkProbe, type GraftTarget } from "../helpers/o0-graft.ts";

// Five `<==` links of circuits/src/liquidate-batch.circom that --O2 substitutes away, each
// between a wire the batch's public record or its checks read and the wire its slot or its
// fund update reads:
//   LiquidationSlot  sizeMoved[j] <== (enabled - take[j]) * old.size[j];  (the lot the fund takes)
//                    charge <== attribution.charge;  (what each compartment gains)
//   LiquidateBatch   move.enabled <== moveEnabled;  (the move applied / its nonce consumed)
//                    root[0] <== oldRoot;  (the first slot starts at the public old root)
//                    slot[i].enabled <== enabled[i];  (the slot liquidates / the commitment says so)
// With one of them made `<--`, the freed wire is pinned only through Merkle paths and
// hashes, which the determinism stage cannot decide, and the witness calculator computes
// its honest value, so no test that feeds inputs tells the mutant apart. Each test here is
// an R1CS graft: an --O0 probe of the whole LiquidateBatch (every signal keeps its name; at
// the test parameters it compiles in about 12 s, cached under the builds' probes/) whose
// link's line reads another value, run on a forged batch's inputs and copied by wire name
// onto the --O2 circuit of the sources under test. Every wire after the link is consistent
// with the other value; the R1CS must refuse the graft, which the one without the link
// accepts by construction. The harness of each: on the honest inputs the rewritten probe,
// grafted, is the honest witness wire for wire, so the rewrite reads the link's own value.
//
// The batch: test/helpers/liquidators.ts's world, account 3 (long 1 BTC from 6,000,000 on
// 1,250,000) liquidated at MARKS without a liquidator (equity 150,000, penalty 49,000 to
// BTC's compartment, the lot to the fund), after the fund's owner moved 500,000 of its
// reserve into BTC's compartment (a signed move, nonce 0).

const M = P.markets;
const FILE = "liquidate-batch.circom";
const EXPR = `LiquidateBatch(${CIRCUITS.liquidate_batch.args(P).join(", ")})`;
const MOVE = signCompartmentMove(
  { market: 0, nonce: 0n, amount: 500_000n, toReserve: false },
  M,
  devOwnerKeys().fund.privateKey,
  SAMPLE_DOMAIN,
);
const E = 1_000_000n;

function batch(s: ExchangeState): LiquidationResult {
  const r = liquidate(s, [3n], MARKS, P.liquidations, { move: MOVE }, INDICES);
  assert.equal(s.root, r.newRoot);
  return r;
}

/** `input` with slot `i`'s fields changed by `over`. */
function withSlot(
  input: LiquidateBatchInput,
  i: number,
  over: Partial<LiquidationSlotInput>,
): LiquidateBatchInput {
  return {
    ...input,
    slots: input.slots.map((x, k) => (k === i ? ({ ...x, ...over } as LiquidationSlotInput) : x)),
  };
}

/** The tree after the honest batch with the fund's leaf changed by `edit`: its root. */
function fundEdited(edit: (f: Account) => Account): bigint {
  const s = world();
  batch(s);
  s.setAccount(INSURANCE_ACCOUNT, edit(s.getAccount(INSURANCE_ACCOUNT)));
  return s.root;
}
const btc = (f: Account, edit: (p: Position) => Partial<Position>): Account => ({
  ...f,
  positions: f.positions.map((p, j) => (j === 0 ? { ...p, ...edit(p) } : p)),
});

/** A link, its probe's line, the honest inputs carrying its own value, and the forgery. */
interface Link {
  readonly statement: string;
  /** The probe's line: at most the original line's length. */
  readonly to: string;
  readonly title: string;
  /** The honest batch's inputs with the carrier `to` reads holding the link's own value. */
  readonly honest: (r: LiquidationResult) => LiquidateBatchInput;
  readonly forged: (r: LiquidationResult) => LiquidateBatchInput;
  /** Signals of the forged batch (in the rewritten probe): what the forgery proves. */
  readonly proves: (r: LiquidationResult) => Record<string, bigint>;
}

const LINKS: readonly Link[] = [
  {
    statement: "sizeMoved[j] <== (enabled - take[j]) * old.size[j];",
    // a slot without a liquidator has a free offer nonce: 1 there takes the lot away
    to: "sizeMoved[j]<==(enabled-take[j]-offerNonce)*old.size[j];",
    title:
      "refuses a slot that hands the fund no lot: account 3's BTC long leaves its leaf and enters none, so account 4's short is matched by nobody",
    honest: (r) => r.input,
    forged: (r) => ({
      ...withSlot(r.input, 0, { offerNonce: 1n }),
      newRoot: fundEdited((f) => btc(f, (p) => ({ size: p.size - 1n }))),
    }),
    proves: () => ({ "slot[0].sizeMoved[0]": 0n, "fundSizeAfter[0]": 0n }),
  },
  {
    statement: "charge <== attribution.charge;",
    // a slot without a liquidator has free liquidator notionals: they carry the charges
    to: "charge<==takerNotional;",
    title:
      "refuses a slot whose charge credits BTC's compartment 10^6 above the 49,000 penalty account 3 paid: value minted into the insurance fund",
    honest: (r) => withSlot(r.input, 0, { takerNotional: r.charges[0].map(mod) }),
    forged: (r) => ({
      ...withSlot(r.input, 0, { takerNotional: [r.charges[0][0] + E, r.charges[0][1]] }),
      newRoot: fundEdited((f) => btc(f, (p) => ({ notional: p.notional - E }))),
    }),
    proves: (r) => ({
      "slot[0].charge[0]": 49_000n + E,
      "finalCompartment[0]": r.compartmentsAfter[0] + E,
    }),
  },
  {
    statement: "move.enabled <== moveEnabled;",
    to: "move.enabled<==1;",
    title:
      "refuses a batch that applies the fund's signed move without consuming its nonce: the same signature moves the reserve again in every later batch",
    honest: (r) => r.input,
    forged: (r) => ({
      ...r.input,
      move: { ...r.input.move, enabled: 0n },
      newRoot: fundEdited((f) => ({ ...f, withdrawNonce: f.withdrawNonce - 1n })),
    }),
    proves: (r) => ({ oldRoot: r.oldRoot, moveEnabled: 0n, "move.enabled": 1n }),
  },
  {
    statement: "root[0] <== oldRoot;",
    // the padding slot's leaf key is free: it carries the root the first slot starts at
    to: "root[0]<==leafAx[1];",
    title:
      "refuses a batch whose first slot starts from another tree than the public old root: account 3, healthy with 2,250,000 in the real tree, liquidated from a tree where it holds 1,250,000",
    honest: (r) => withSlot(r.input, 1, { leafAx: r.oldRoot }),
    forged: (r) => ({ ...withSlot(r.input, 1, { leafAx: r.oldRoot }), oldRoot: healthyRoot() }),
    proves: (r) => ({ oldRoot: healthyRoot(), "root[0]": r.oldRoot }),
  },
  {
    statement: "slot[i].enabled <== enabled[i];",
    to: "slot[i].enabled<==(i<1);",
    title:
      "refuses a liquidation the batch's record omits: account 3 is liquidated while the data commitment lists no liquidation, so no replica can rebuild the new root",
    honest: (r) => r.input,
    forged: (r) => ({
      ...withSlot(r.input, 0, { enabled: 0n }),
      dataCommitment: deleverageCommitment(liquidationCommitment([], [], MOVE), []),
    }),
    proves: (r) => ({ oldRoot: r.oldRoot, newRoot: r.newRoot, "enabled[0]": 0n }),
  },
];

/** The real tree of the root-anchor forgery: account 3 with 2,250,000, healthy at MARKS. */
function healthyRoot(): bigint {
  const s = world();
  s.setAccount(3n, { ...s.getAccount(3n), collateral: 2_250_000n });
  return s.root;
}

describe("LiquidateBatch: the slots' and the fund's links to the batch's record (witnesses grafted from --O0 probes at the R1CS level)", function () {
  let target: GraftTarget;
  const signals = CIRCUITS.liquidate_batch.toSignals;

  before(async function () {
    const files = await testCircuit("liquidate_batch");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
  });

  for (const link of LINKS) {
    const line = statementLine(FILE, link.statement);
    it(`${link.title} (${FILE}:${line})`, async function () {
      const probe = await linkProbe(
        target,
        { name: `liquidate_batch_links_o0_${line}`, source: FILE, expr: EXPR },
        { file: FILE, ...link },
      );
      const r = batch(world());

      // the harness: the rewritten probe reads the link's own value on the honest inputs
      const honest = await witnessFor({ kind: "liquidate_batch", input: link.honest(r) });
      await probe.reproduces(signals(link.honest(r)), honest);

      // the forgery: the batch with the link reading the other value
      const input = link.forged(r);
      const forged = await probe.forge(signals(input));
      assert.deepEqual(
        forged.grafted.slice(1, 4),
        [input.oldRoot, input.newRoot, input.dataCommitment],
        "the forged batch's public record",
      );
      for (const [name, value] of Object.entries(link.proves(r))) {
        assert.equal(
          forged.probe[probe.sym.get(`main.${name}`)!],
          mod(value),
          `the forged batch's ${name}`,
        );
      }
      const bad = unsatisfiedConstraints(target.r1cs, forged.grafted);
      assert.ok(bad.length > 0, `${link.statement} (line ${line}) must break a constraint`);
    });
  }
});
