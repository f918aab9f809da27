import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/apply-deposits.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const applyDeposits: FileArguments = {
  premises: [
    "circuits/src/apply-deposits.circom",
    "circuits/src/constants.circom",
    "contracts/Vault.sol",
  ],
  hash: "39ac8b87875bf032",
  arguments: [
    {
      id: "apply-deposits.circom:64:delete",
      before: "accountZero * enabled === 0;",
      after: "/* mutant: deleted */",
      kind: "assumed",
      why: "The Vault never queues account 0 (a deposit to it opens an account at nextAccount, from 3) and the queue hash binds the account, so a slot for account 0 needs a Poseidon collision.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
    {
      id: "apply-deposits.circom:66:widen",
      before: "_ <== Num2Bits(FLAG_BITS())(flag);",
      after: "_ <== Num2Bits((FLAG_BITS()) + 1)(flag);",
      kind: "equivalent",
      why: "The Vault queues no flag above M and the entry's hash binds the flag, so a 4-bit flag check admits no queued deposit the 3-bit one refuses.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "apply-deposits.circom:93:delete",
      before: "rotate * (1 - owned) === 0;",
      after: "/* mutant: deleted */",
      kind: "assumed",
      why: "The Vault never queues a key rotation on a top-up of an account other than the fee account or the insurance fund, and the queue hash binds account and key, so the check refuses nothing the Vault queues.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
