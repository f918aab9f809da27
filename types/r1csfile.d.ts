// Minimal type declarations for the parts of r1csfile 0.0.48 that zkclear uses.
declare module "r1csfile" {
  export interface ReadR1csOptions {
    loadConstraints?: boolean;
    loadMap?: boolean;
    loadCustomGates?: boolean;
    singleThread?: boolean;
    /** Called with the file's prime; whatever it returns becomes `F` of the result. */
    getFieldFromPrime?: (prime: bigint, singleThread?: boolean) => unknown;
  }

  export interface R1csInfo {
    n8: number;
    prime: bigint;
    nVars: number;
    nOutputs: number;
    nPubInputs: number;
    nPrvInputs: number;
    nLabels: number;
    nConstraints: number;
    useCustomGates: boolean;
    F: unknown;
    constraints?: unknown[];
  }

  export function readR1cs(fileName: string, options: ReadR1csOptions): Promise<R1csInfo>;
}
