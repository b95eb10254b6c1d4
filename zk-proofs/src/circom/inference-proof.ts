import { Bytes32Schema } from "@tributary/protocol";
import { z } from "zod";

const Decimal = z.string().regex(/^[0-9]{1,78}$/, "must be a field element in decimal");

/** One example's Groth16 proof as snarkjs writes it, and its public signals (packed logits, then packed inputs). */
export const ExampleProofSchema = z.strictObject({
  proof: z.strictObject({
    pi_a: z.array(Decimal).length(3),
    pi_b: z.array(z.array(Decimal).length(2)).length(3),
    pi_c: z.array(Decimal).length(3),
    protocol: z.literal("groth16"),
    curve: z.literal("bn128"),
  }),
  publicSignals: z.array(Decimal).min(2),
});

export type ExampleProof = z.output<typeof ExampleProofSchema>;

/**
 * A proof of inference as `tributary zk prove` writes it: which model, the request's and response's hashes (what a
 * task's `inputHash` and a submitted `responseHash` are), the integer logits, each example's Groth16 proof, and
 * `calldata`, the bytes `OptimisticVerifier.resolveWithProof` passes to the model's `Groth16InferenceProofVerifier`.
 */
export const InferenceProofSchema = z.strictObject({
  format: z.literal(1),
  modelHash: Bytes32Schema,
  quantisedModelHash: Bytes32Schema,
  requestHash: Bytes32Schema,
  responseHash: Bytes32Schema,
  count: z.int().positive(),
  /** The integer logits at F_A fractional bits, `outputSize` per example. */
  logits: z.array(z.int()),
  examples: z.array(ExampleProofSchema).min(1),
  calldata: z.string().regex(/^0x([0-9a-f]{64})+$/, "must be 0x and whole 32-byte words of lowercase hex"),
});

export type InferenceProof = z.output<typeof InferenceProofSchema>;

function word(value: string | bigint): string {
  return BigInt(value).toString(16).padStart(64, "0");
}

/**
 * The bytes a `Groth16InferenceProofVerifier` reads: for each example the generated verifier's `verifyProof`
 * arguments as ABI-encoded, a (2 words), b (4 words, each G2 coordinate's pair swapped, as the EVM's pairing
 * precompile wants), c (2 words), then the public signals.
 */
export function proofCalldata(examples: readonly ExampleProof[]): string {
  const words: string[] = [];
  for (const { proof, publicSignals } of examples) {
    const [a0, a1] = proof.pi_a as [string, string];
    const [[b00, b01], [b10, b11]] = proof.pi_b as [[string, string], [string, string]];
    const [c0, c1] = proof.pi_c as [string, string];
    words.push(word(a0), word(a1), word(b01), word(b00), word(b11), word(b10), word(c0), word(c1));
    for (const signal of publicSignals) words.push(word(signal));
  }
  return `0x${words.join("")}`;
}
