import { Bytes32Schema } from "@tributary/protocol";
import { z } from "zod";

/** The files of one model's circuit artifacts directory, each pinned by SHA-256 in `manifest.json`. */
export const CIRCUIT_FILES = {
  spec: "model-spec.json",
  weights: "weights.f32",
  circuit: "circuit.circom",
  wasm: "circuit.wasm",
  zkey: "circuit.zkey",
  verificationKey: "verification_key.json",
} as const;

export const CIRCUIT_MANIFEST = "manifest.json";

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256: 64 lowercase hex digits");

/**
 * `manifest.json` of a model's circuit artifacts, written by the setup (`npm run zk:setup`): which model (its
 * ModelRegistry hash and its quantised hash), the circuit's shape and size, the trusted setup it came from, and
 * the SHA-256 of every file, which `InferenceCircuit.load` checks before anything is used.
 */
export const CircuitManifestSchema = z.strictObject({
  format: z.literal(1),
  name: z.string().min(1),
  /** The model's `modelHash` on ModelRegistry: SHA-256 of `weights.f32` (flat float32, little-endian). */
  modelHash: Bytes32Schema,
  /** SHA-256 of the quantised model's canonical TDIM bytes (what every request names). */
  quantisedModelHash: Bytes32Schema,
  activationFractionBits: z.int().min(0).max(16),
  inputSize: z.int().positive(),
  outputSize: z.int().positive(),
  inputWords: z.int().positive(),
  outputWords: z.int().positive(),
  /** R1CS constraints (non-linear and linear, as circom's default simplification leaves them). */
  constraints: z.int().positive(),
  wires: z.int().positive(),
  tools: z.strictObject({ circom: z.string(), snarkjs: z.string() }),
  powersOfTau: z.strictObject({ power: z.int().min(8).max(28), sha256: Sha256Hex, contributions: z.int().positive() }),
  /** The snarkjs-generated Solidity verifier's contract name (contracts/src/verification/generated/<name>.sol). */
  verifierContract: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
  files: z.strictObject(
    Object.fromEntries(Object.values(CIRCUIT_FILES).map((file) => [file, Sha256Hex])) as Record<
      (typeof CIRCUIT_FILES)[keyof typeof CIRCUIT_FILES],
      typeof Sha256Hex
    >,
  ),
});

export type CircuitManifest = z.output<typeof CircuitManifestSchema>;
