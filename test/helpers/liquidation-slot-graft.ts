import { mod } from "../../prover/src/domain/field.ts";
import type { LiquidationSlotInput, SignalValue } from "../../prover/src/domain/inputs.ts";
import { oneX, scaledMarkets } from "../../prover/src/domain/volatility.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { LiquidationRequest } from "../../prover/src/engine/liquidators.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { compileProbe } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, unsatisfiedConstraints, type R1cs } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine } from "./circuit.ts";
import { INDICES, MARKS, P, markets } from "./liquidators.ts";
import { linkProbe, wireNamed, type GraftTarget } from "./o0-graft.ts";

// Grafts onto a probe of LiquidationSlot (circuits/src/liquidate-batch.circom) alone, for
// the tests of its `<==` links that --O2 substitutes away (test/circuits/
// liquidation-slot-links.test.ts shows the method): the slot of a one-liquidation batch
// of test/helpers/liquidators.ts's world as the engine writes it, an --O0 probe whose link
// line reads another value, and its witness copied by wire name onto the --O2 probe of the
// sources under test.

export const FILE = "liquidate-batch.circom";
const M = P.markets;
const SLOT = `LiquidationSlot(${P.depth}, ${M})`;

/** The first slot of a batch, the root it starts from and the engine's charges for it. */
export interface Slot {
  readonly fields: LiquidationSlotInput;
  readonly rootIn: bigint;
  readonly charges: readonly bigint[];
}

/**
 * The engine's slot for `request` on `s` at MARKS and INDICES (liquidate writes `s`).
 * `unchecked`: the engine writes it even when a rule refuses it (an operator's forgery).
 */
export function slotOf(s: ExchangeState, request: LiquidationRequest, unchecked = false): Slot {
  const r = liquidate(s, [request], MARKS, P.liquidations, { unchecked }, INDICES);
  return { fields: r.input.slots[0], rootIn: r.oldRoot, charges: r.charges[0] };
}

const str = (x: bigint | readonly bigint[] | readonly (readonly bigint[])[]): SignalValue =>
  typeof x === "bigint" ? String(mod(x)) : x.map((y) => str(y));

/** The probe's inputs for `slot`, with the fields of `over` in place of its own. */
export function slotSignals(
  slot: Slot,
  over: Partial<LiquidationSlotInput> = {},
): Record<string, SignalValue> {
  const f = { ...slot.fields, ...over };
  const round = scaledMarkets(markets, oneX(M));
  const liquidation = scaledMarkets(markets, oneX(M), "liquidation");
  return {
    enabled: str(f.enabled),
    account: str(f.account),
    ax: str(f.leafAx),
    ay: str(f.leafAy),
    balance: str(f.leafBalance),
    word: str(f.leafWord),
    notional: str(f.leafNotional),
    siblings: str(f.siblings),
    takerEnabled: str(f.takerEnabled),
    taker: str(f.taker),
    takerAx: str(f.takerAx),
    takerAy: str(f.takerAy),
    takerBalance: str(f.takerBalance),
    takerWord: str(f.takerWord),
    takerNotional: str(f.takerNotional),
    takerSiblings: str(f.takerSiblings),
    offerNonce: str(f.offerNonce),
    offerTerm: str(f.offerTerm),
    offerSigR8x: str(f.offerSigR8x),
    offerSigR8y: str(f.offerSigR8y),
    offerSigS: str(f.offerSigS),
    take: str(f.take),
    mark: str(MARKS),
    index: str(INDICES),
    imBps: str(round.map((m) => m.initialMarginBps)),
    mmBps: str(liquidation.map((m) => m.maintenanceMarginBps)),
    penaltyBps: str(markets.map((m) => m.liquidationPenaltyBps)),
    domain: String(SAMPLE_DOMAIN),
    rootIn: str(slot.rootIn),
  };
}

/** The --O2 probe of LiquidationSlot compiled from the sources under test. */
export class SlotProbe implements GraftTarget {
  private constructor(
    readonly r1cs: R1cs,
    readonly wasm: string,
    /** Wire -> its names. */
    readonly names: Map<number, string[]>,
  ) {}

  static async compile(name: string): Promise<SlotProbe> {
    const probe = await compileProbe(name, FILE, SLOT, { wasm: true });
    return new SlotProbe(readR1cs(probe.r1cs), probe.wasm!, readWireNames(probe.sym!).names);
  }

  wire(name: string): number {
    return wireNamed(this, name);
  }

  /** `w`'s value of the signal `name` (main.<name>). */
  value(w: readonly bigint[], name: string): bigint {
    return w[this.wire(`main.${name}`)];
  }

  /** What the slot writes and hands to the batch: rootOut, charges, moves, committedTaker. */
  outputs(w: readonly bigint[]): bigint[] {
    const arrays = ["charge", "sizeMoved", "notionalMoved"].flatMap((o) =>
      Array.from({ length: M }, (_, j) => `${o}[${j}]`),
    );
    return ["rootOut", ...arrays, "committedTaker"].map((n) => this.value(w, n));
  }

  charges(w: readonly bigint[]): bigint[] {
    return Array.from({ length: M }, (_, j) => this.value(w, `charge[${j}]`));
  }

  /** The constraints of this probe's R1CS that `w` breaks. */
  broken(w: readonly bigint[]): number[] {
    return unsatisfiedConstraints(this.r1cs, w);
  }

  /**
   * The forged witness of the slot for a link: an --O0 probe of the sources under test
   * whose line `statement` reads `to` instead is checked to reproduce the honest witness
   * (`honest`, where what `to` reads holds the link's own value) wire for wire, to accept
   * its witness for `forged` (its R1CS: the slot with that wire free), and that witness,
   * copied by name onto this probe's wires, is returned with the honest one.
   */
  async graft(
    link: { readonly statement: string; readonly to: string },
    honest: Record<string, SignalValue>,
    forged: Record<string, SignalValue>,
  ): Promise<{ honest: bigint[]; forged: bigint[] }> {
    const line = statementLine(FILE, link.statement);
    const probe = await linkProbe(
      this,
      { name: `liquidation_slot_graft_${line}`, source: FILE, expr: SLOT },
      { file: FILE, ...link },
    );
    const h = await calculateWitness(this.wasm, honest);
    await probe.reproduces(honest, h);
    return { honest: h, forged: (await probe.forge(forged)).grafted };
  }
}
