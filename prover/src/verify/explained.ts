import type { CircuitDeterminism, GroupCount } from "./circuit-determinism.ts";

/**
 * Wires the determinism check leaves open on purpose, each with the reason written out
 * in docs/verification.md ("Determinism: what is explained by hand"). Everything else
 * that is not fixed is a finding. Patterns match signal groups (names without indices).
 */
export const EXPLAINED: ReadonlyArray<{ readonly pattern: RegExp; readonly reason: string }> = [
  {
    // the verifier's subcomponents only: its own signals (Ax, Ay, R8x, R8y, S, M, enabled)
    // are the wires that tie it to the leaf and the order, and must be fixed
    pattern: /\.(OrderSignature\.verifier|sig)\.\w+(\[\])*\./,
    reason:
      "circomlib's EdDSAPoseidonVerifier: Montgomery and Edwards formulas divide by values that are nonzero for points of the curve's prime-order subgroup (docs/verification.md)",
  },
];

/** The undecided and conditional groups that no entry of EXPLAINED covers. */
export function unexplained(d: CircuitDeterminism): GroupCount[] {
  return [...d.undecided, ...d.conditional].filter(
    (g) => !EXPLAINED.some((e) => e.pattern.test(g.group)),
  );
}
