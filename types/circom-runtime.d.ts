// Minimal types for circom_runtime 0.1.28 (the witness calculator snarkjs uses).
declare module "circom_runtime" {
  export interface WitnessCalculator {
    calculateWitness(input: Record<string, unknown>, sanityCheck?: boolean): Promise<bigint[]>;
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
  }
  export function WitnessCalculatorBuilder(
    code: Uint8Array,
    options?: { sanityCheck?: boolean },
  ): Promise<WitnessCalculator>;
}
