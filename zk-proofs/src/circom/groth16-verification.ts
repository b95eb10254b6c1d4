import * as snarkjs from "snarkjs";
import { z } from "zod";
import type { ExampleProof } from "./inference-proof.js";

/** A Groth16 verification key as snarkjs exports it (`verification_key.json`): curve points as decimal strings. */
export interface Groth16VerificationKey {
  readonly protocol: string;
  readonly curve: string;
  readonly nPublic: number;
  readonly vk_alpha_1: string[];
  readonly vk_beta_2: string[][];
  readonly vk_gamma_2: string[][];
  readonly vk_delta_2: string[][];
  /** One point per public signal, plus the constant's. */
  readonly IC: string[][];
}

const Decimal = z.string().regex(/^[0-9]{1,78}$/, "must be a field element in decimal");
const G1 = z.array(Decimal).length(3);
const G2 = z.array(z.array(Decimal).length(2)).length(3);

/** `verification_key.json` of a Groth16 circuit over BN254, as snarkjs exports it. */
export const Groth16VerificationKeySchema = z.looseObject({
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
  nPublic: z.int().positive(),
  vk_alpha_1: G1,
  vk_beta_2: G2,
  vk_gamma_2: G2,
  vk_delta_2: G2,
  IC: z.array(G1).min(2),
});

/** Whether one example's Groth16 proof verifies against `verificationKey` with its public signals (snarkjs). */
export function verifyExampleProof(verificationKey: Groth16VerificationKey, example: ExampleProof): Promise<boolean> {
  return snarkjs.groth16.verify(verificationKey, example.publicSignals, example.proof);
}

/**
 * Stops the worker threads snarkjs starts for its curve arithmetic (they would keep a process alive once its work
 * is done); the next proof or verification starts them again.
 */
export async function releaseProverThreads(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
  if (curve) await curve.terminate();
}
