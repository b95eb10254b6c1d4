// The parts of snarkjs 0.7 (which ships no types) that zk-proofs uses, as its sources define them.
declare module "snarkjs" {
  /** A Groth16 proof as snarkjs writes it (decimal strings, projective coordinates). */
  export interface SnarkjsGroth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }

  /** A verification key as `zKey.exportVerificationKey` returns it. */
  export interface SnarkjsVerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    vk_alpha_1: string[];
    vk_beta_2: string[][];
    vk_gamma_2: string[][];
    vk_delta_2: string[][];
    IC: string[][];
  }

  export interface SnarkjsLogger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  /** A file name, or an in-memory file (`{ type: "mem" }`, filled by the call). */
  type FileRef = string | { type: "mem"; data?: Uint8Array };

  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasm: FileRef,
      zkey: FileRef,
      logger?: SnarkjsLogger,
      witnessOptions?: unknown,
      proverOptions?: { singleThread?: boolean },
    ): Promise<{ proof: SnarkjsGroth16Proof; publicSignals: string[] }>;
    verify(
      vk: SnarkjsVerificationKey,
      publicSignals: readonly string[],
      proof: SnarkjsGroth16Proof,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
  };

  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string, logger?: SnarkjsLogger): Promise<unknown>;
    contribute(from: string, to: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<unknown>;
    preparePhase2(from: string, to: string, logger?: SnarkjsLogger): Promise<unknown>;
  };

  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: SnarkjsLogger): Promise<unknown>;
    contribute(from: string, to: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<unknown>;
    exportVerificationKey(zkey: FileRef, logger?: SnarkjsLogger): Promise<SnarkjsVerificationKey>;
    exportSolidityVerifier(zkey: FileRef, templates: Record<string, string>, logger?: SnarkjsLogger): Promise<string>;
  };

  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: FileRef, wtns: FileRef, options?: unknown): Promise<void>;
    check(r1cs: string, wtns: FileRef, logger?: SnarkjsLogger): Promise<boolean>;
  };

  export const r1cs: {
    info(
      r1cs: string,
      logger?: SnarkjsLogger,
    ): Promise<{ nConstraints: number; nVars: number; nOutputs: number; nPubInputs: number; nPrvInputs: number }>;
  };

  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<{ terminate(): Promise<void> }>;
  };
}
