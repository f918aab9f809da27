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
    pattern: /\.(OrderSignature\.verifier|sig|verdict)\.\w+(\[\])*\./,
    reason:
      "circomlib's EdDSAPoseidonVerifier: Montgomery and Edwards formulas divide by values that are nonzero for points of the curve's prime-order subgroup (docs/verification.md)",
  },
  {
    // AnswerForced only (its slot and root arrays have names of their own): the verdict on
    // a forced request's signature is IsEqual of two points the explained verifier
    // formulas compute, so it is fixed exactly when they are; everything that follows
    // from it in the slot (paid or not, the new leaf, the path's nodes, the outcome) and
    // the roots carried from slot to slot are functions of it
    pattern:
      /^main\.answer\[\]\.(verdict\.eq[XY]|valid|sigOk|paidCore|paid|outcome|newLeaf|update\.)|^main\.answerRoot\[\]$/,
    reason:
      "AnswerForced's signature verdict and what follows from it: fixed when the EdDSA formulas' denominators are nonzero, which holds on curve points (R8 checked by Settlement, the key by the Vault, the base point for an empty leaf) (docs/verification.md)",
  },
];

/** The undecided and conditional groups that no entry of EXPLAINED covers. */
export function unexplained(d: CircuitDeterminism): GroupCount[] {
  return [...d.undecided, ...d.conditional].filter(
    (g) => !EXPLAINED.some((e) => e.pattern.test(g.group)),
  );
}
