// Minimal type declarations for the parts of snarkjs 0.7.6 that zkclear uses.
declare module "snarkjs" {
  export interface Logger {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    vk_alpha_1: string[];
    vk_beta_2: string[][];
    vk_gamma_2: string[][];
    vk_delta_2: string[][];
    vk_alphabeta_12: string[][][];
    IC: string[][];
  }
  export type CircuitSignals = Record<string, unknown>;
  export type FileOrBuffer = string | Uint8Array | { type: "mem"; data?: Uint8Array };

  export const groth16: {
    fullProve(
      input: CircuitSignals,
      wasmFile: FileOrBuffer,
      zkeyFile: FileOrBuffer,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(
      zkeyFile: FileOrBuffer,
      witnessFile: FileOrBuffer,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(
      vk: VerificationKey,
      publicSignals: string[],
      proof: Groth16Proof,
      logger?: Logger,
    ): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: string[]): Promise<string>;
  };
  export const wtns: {
    calculate(input: CircuitSignals, wasmFile: FileOrBuffer, wtnsFile: FileOrBuffer): Promise<void>;
    check(r1csFile: FileOrBuffer, wtnsFile: FileOrBuffer, logger?: Logger): Promise<boolean>;
  };
  export const zKey: {
    newZKey(
      r1cs: FileOrBuffer,
      ptau: FileOrBuffer,
      zkey: FileOrBuffer,
      logger?: Logger,
    ): Promise<unknown>;
    contribute(
      oldZkey: FileOrBuffer,
      newZkey: FileOrBuffer,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<Uint8Array>;
    beacon(
      oldZkey: FileOrBuffer,
      newZkey: FileOrBuffer,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<Uint8Array>;
    verifyFromR1cs(
      r1cs: FileOrBuffer,
      ptau: FileOrBuffer,
      zkey: FileOrBuffer,
      logger?: Logger,
    ): Promise<boolean>;
    exportVerificationKey(zkey: FileOrBuffer, logger?: Logger): Promise<VerificationKey>;
    exportSolidityVerifier(
      zkey: FileOrBuffer,
      templates: { groth16: string },
      logger?: Logger,
    ): Promise<string>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string, logger?: Logger): Promise<unknown>;
    contribute(
      oldPtau: string,
      newPtau: string,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<unknown>;
    beacon(
      oldPtau: string,
      newPtau: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<unknown>;
    verify(ptau: string, logger?: Logger): Promise<boolean>;
  };
  export const r1cs: {
    info(
      r1csFile: string,
      logger?: Logger,
    ): Promise<{
      nConstraints: number;
      nVars: number;
      nOutputs: number;
      nPubInputs: number;
      nPrvInputs: number;
    }>;
  };
  export const curves: {
    getCurveFromName(name: string): Promise<unknown>;
  };
}
