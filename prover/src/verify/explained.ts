import type { CircuitDeterminism, GroupCount } from "./circuit-determinism.ts";
import type { WireNames } from "./circuit-info.ts";

/**
 * Wires the determinism check leaves open on purpose, each with the reason written out
 * in docs/verification.md ("Determinism: what is explained by hand"). Everything else
 * that is not fixed is a finding. Patterns match signal groups (names without indices).
 */
export const EXPLAINED: ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> = [
  {
    // the verifier's subcomponents only: its own signals (Ax, Ay, R8x, R8y, S, M, enabled)
    // are the wires that tie it to the leaf and the order, and must be fixed
    pattern: /\.(OrderSignature\.verifier|sig|verdict)\.\w+(\[\])*\./,
    reason:
      "circomlib's EdDSAPoseidonVerifier: Montgomery and Edwards formulas divide by values that are nonzero for points of the curve's prime-order subgroup (docs/verification.md)",
  },
];

/**
 * Wires the check takes as fixed from the start, as it takes the inputs: each is a
 * template's output that the template's header proves unique given its input, and whose
 * template test shows every wire fixed by the solver. Inside a whole circuit the same
 * question joins other range checks into bit blocks the solver decides only slowly
 * (minutes at the test parameters), so it is answered here by the template's proof.
 * Their inputs are products of wires the check fixes on its own (docs/verification.md,
 * "Determinism: what is explained by hand").
 */
export const ASSUMED: ReadonlyArray<{
  readonly pattern: RegExp;
  readonly reason: string;
  /**
   * The pattern names copies of one value (`a <== b` down a chain of templates), with the
   * copy's owner as its first group: only the deepest copy's wire is assumed, per owner.
   * While the copies' constraints hold they are one wire under --O2 (whichever name
   * survives); with one made `<--` the copies above the cut are left for the check to fix.
   */
  readonly copies?: boolean;
}> = [
  {
    // AttributeCharges' per-market penalty and share, DivBps(144)'s quotients of products of
    // the slot's fixed values (|size| * mark * penaltyBps, take * |size| * mark * discountBps);
    // each remainder's bits then follow from the quotient (a 14-bit block)
    pattern: /\.attribution\.(penalty|share)\[\d+\]$/,
    reason:
      "DivBps(N): in = out * 10^4 + rem, 0 <= rem < 10^4, out < 2^(N - 13), so out is unique over the integers (circuits/src/compartments.circom; test/circuits/compartments.test.ts decides it with the solver)",
  },
  {
    // MarketBinding's scaled margin rates, ScaleBps's rounded-up quotients of a product of
    // two inputs (the configured rate and the round's multiplier); each remainder's bits
    // then follow from the quotient. Alone in a bit block with its two remainder checks
    // the solver decides one in well under a second, but an unused rate (a skip proof uses
    // only the liquidation rates) is decided only by that block, whose query took past the
    // solver's minute on a loaded machine
    pattern: /\.binding\.(imBps|mmBps|liqMmBps)\[\d+\]$/,
    reason:
      "ScaleBps: product + 9999 = out * 10^4 + rem, 0 <= rem <= 9999, out < 2^16, so out is the unique rounded-up quotient over the integers (circuits/src/market-binding.circom; test/circuits/market-binding.test.ts decides it with the solver)",
  },
  {
    // AnswerForced's verdict on a forced request's signature, EdDSAPoseidonValid's two
    // coordinate comparisons (IsEqual of two points the explained verifier formulas
    // compute): unique when those formulas are. Taken as known so that the check must fix
    // everything from them on: the verdict eqX * eqY, the slot's use of it, the paid
    // flags, the new leaf, the path and the roots. Before 2026-12-06 those wires were
    // explained with the verdict, and the mutation runner found that the explanation hid
    // `<==` made `<--` there
    pattern: /^main\.answer\[\d+\]\.verdict\.eq[XY]$/,
    reason:
      "EdDSAPoseidonValid's comparisons: the same formulas as circomlib's verifier, whose wires are unique on curve points (docs/verification.md, AnswerForced's verdict)",
  },
  {
    // Deleverage's divisions by a variable: the score's two clamped quotients and their
    // remainders and the bankruptcy price's step; a skip proof's candidate
    // (SkippedDeleverage's main) has the same score
    pattern:
      /(\.adl\.entry\[\d+\]|^main)\.(candidate\.)?(DeleverageScore[^.]*\.)?ClampedFloorDiv[^.]*\.(q|r)$|\.adl\.bankruptcy\[\d+\]\.step$/,
    reason:
      "ClampedFloorDiv's quotient and remainder and BankruptcyPrice's step are unique by the proofs in their headers (circuits/src/deleveraging.circom); test/circuits/deleveraging.test.ts takes them as known and shows every other wire of each template fixed",
  },
  {
    // each entry's greedy lots q (a product q * cost of two unknowns), DeleverageTake's, and
    // its copies in the candidate and the entry (`q <== take.q`, `q <== candidate.q`). Only
    // the deepest copy: assuming every copy hid one made `<--`, the entry's lots then set at
    // will (found by an outside analysis of the mutation run's survivors, 2026-12-06)
    pattern: /^(main|main\.adl\.entry\[\d+\])\.(candidate\.)?(take\.)?q$/,
    copies: true,
    reason:
      "DeleverageTake's q is unique by the proof in its header (circuits/src/deleveraging.circom); test/circuits/deleveraging.test.ts takes it as known and shows every other wire of the template fixed",
  },
];

/**
 * The wires ASSUMED names (any of a wire's names matching), but of an entry's `copies` only
 * the deepest copy's wire per owner (the one with the most name segments).
 */
export function assumedWires(names: WireNames): number[] {
  const out = new Set<number>();
  const deepest = new Map<string, { wire: number; depth: number }>();
  for (const [w, ns] of names.names)
    for (const n of ns)
      ASSUMED.forEach((a, k) => {
        const m = a.pattern.exec(n);
        if (!m) return;
        if (!a.copies) {
          out.add(w);
          return;
        }
        const owner = `${k}\u0000${m[1]}`;
        const depth = n.split(".").length;
        const best = deepest.get(owner);
        if (!best || depth > best.depth) deepest.set(owner, { wire: w, depth });
      });
  for (const { wire } of deepest.values()) out.add(wire);
  return [...out];
}

/** The undecided and conditional groups that no entry of EXPLAINED covers. */
export function unexplained(d: CircuitDeterminism): GroupCount[] {
  return [...d.undecided, ...d.conditional].filter(
    (g) => !EXPLAINED.some((e) => e.pattern.test(g.group)),
  );
}

/**
 * The only free witnesses allowed: circomlib's IsZero inverses (`in * inv = 1 - out`: when
 * in = 0, inv is any value and nothing reads it). Any other wire in one constraint whose
 * other wires are fixed is a value the prover chooses, which that one constraint merely
 * requires to exist (a check cut loose from what it checks).
 */
export const FREE_WITNESS = /\.(isz\.inv|inv)$/;

/** The free-witness groups that are not IsZero inverses. */
export function strayFreeWitnesses(d: CircuitDeterminism): GroupCount[] {
  return d.freeWitness.filter((g) => !FREE_WITNESS.test(g.group));
}
