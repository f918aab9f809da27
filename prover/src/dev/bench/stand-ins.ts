import type { Groth16Proof } from "snarkjs";
import type { BatchData } from "../../domain/batch.ts";
import type { ChainPort, ProofResult, ProverPort, Round } from "../../domain/ports.ts";
import type { Deposit } from "../../domain/transfers.ts";

/** A chain that takes every batch at once, and a prover that proves nothing. */
export function standIns(
  genesis: bigint,
  round: Round,
  deposits: Deposit[],
): { chain: ChainPort; prover: ProverPort } {
  let root = genesis;
  let n = 0;
  const chain: ChainPort = {
    latestRound: async () => round,
    depositsFrom: async (from) => deposits.slice(from),
    stateRoot: async () => root,
    prepare: async (b: BatchData) => ({
      hash: `0x${(++n).toString(16)}`,
      nonce: n,
      raw: String(b.newRoot),
    }),
    send: async (tx) => {
      root = BigInt(tx.raw);
      return { status: "mined", txHash: tx.hash, gasUsed: 0n };
    },
    check: async () => {},
    submit: async () => ({ txHash: "0x0", gasUsed: 0n }),
  };
  const prover: ProverPort = {
    prove: async () =>
      ({
        proof: {} as Groth16Proof,
        publicSignals: [],
        witnessMs: 0,
        proveMs: 0,
      }) as unknown as ProofResult,
  };
  return { chain, prover };
}
