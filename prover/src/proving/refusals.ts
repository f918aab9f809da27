/**
 * Codes with which a prover refuses a batch for good (a broken rule, a foreign key): the
 * batch, not the prover, is wrong, so proving it again cannot help.
 */
export const REFUSED_BY_PROVER: ReadonlySet<string> = new Set([
  "WITNESS_CONSTRAINT_FAILED",
  "PROVE_BAD_WITNESS",
  "PROVE_BAD_KEY",
  "PROVE_WITNESS_MISMATCH",
  "PROVE_TOO_LARGE",
]);
