import { createHash } from "node:crypto";
import type { LabelledExamples } from "@tributary/model-runtime";
import type { PrivacySpend, SecureRandom } from "@tributary/privacy";
import { type Bytes32, canonicalJson } from "@tributary/protocol";
import type { DatasetPrivacyGuard } from "@tributary/trainer-agent";
import { z } from "zod";

/** What is public about the data before any record is read: the manifest's record count, shape and classes. */
export interface DataShape {
  readonly records: number;
  /** Values per record (the product of the feature shape). */
  readonly featureSize: number;
  readonly featureShape: readonly number[];
  readonly numClasses: number;
}

/**
 * The dataset's privacy ledger as a run charges it: the trainer agent's own guard, so a run spends from the budget
 * the trainer spends from (`chargeRelease` for a statistic, `prepareRun` for training; each throws with nothing
 * charged when the budget cannot pay).
 */
export type RunCharger = Pick<DatasetPrivacyGuard, "chargeRelease" | "prepareRun" | "spent">;

/** What a run has inside the enclave boundary: the records, the ledger, the CSPRNG. */
export interface RunContext {
  readonly dataset: LabelledExamples;
  readonly charger: RunCharger;
  readonly random: SecureRandom;
  /** The ledger label the run charges under: `c2d:<algorithm>`. */
  readonly label: string;
  /** The owner's δ: what the ledger composes at. */
  readonly budgetDelta: number;
  /** Where the run's own randomness (training shuffles) is seeded from: the run's id. */
  readonly runId: string;
}

/** A run whose privacy cost has been charged (and written) before any record was read. */
export interface ChargedRun {
  /** This run's own (ε, δ) as charged. */
  readonly charged: PrivacySpend;
  /** Computes the output from the records. */
  compute(): Promise<Record<string, unknown>>;
}

/**
 * A compute-to-data algorithm: a named, versioned computation over the owner's records, with declared parameters,
 * a declared output and a documented DP mechanism. Its content hash (`algorithmHash`) covers all of these, so a
 * change to any of them is another algorithm, which an owner's allowlist does not name until the owner says so.
 */
export interface C2dAlgorithm<P = unknown> {
  readonly name: string;
  readonly version: string;
  /** What it computes, for people. */
  readonly description: string;
  /** The DP mechanism, its sensitivity and its accounting, for people (and hashed). */
  readonly mechanism: string;
  /** The parameters as the researcher writes them. */
  readonly params: z.ZodType<P>;
  /** Checks what the schema cannot: parameters against the data's public shape. Throws `InvalidInputError`. */
  checkParams(params: P, shape: DataShape): void;
  /** The exact output the parameters declare (sizes included): the output policy lets nothing else out. */
  output(params: P, shape: DataShape): z.ZodType;
  /** The disjoint cells of records the output reports on separately (bins, quantile intervals): the policy's granularity. */
  cells(params: P, shape: DataShape): number;
  /** The ε this run costs on its own, at the owner's δ, known before anything is charged (for the per-run cap). */
  epsilon(params: P, shape: DataShape, budgetDelta: number): number;
  /** Charges the run to the dataset's ledger (or throws, charging nothing), then returns the computation. */
  charge(params: P, context: RunContext): Promise<ChargedRun>;
}

/** SHA-256 as `0x…` hex. */
export function sha256Bytes32(bytes: Uint8Array | string): Bytes32 {
  return `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32;
}

/**
 * An algorithm's content hash: SHA-256 of the canonical JSON of its name, version, description, mechanism and the
 * JSON Schema of its parameters. The researcher's client computes it from its own copy of the algorithm, the owner's
 * node from its own: they agree only when both run the same algorithm.
 */
export function algorithmHash(algorithm: C2dAlgorithm): Bytes32 {
  const description = {
    name: algorithm.name,
    version: algorithm.version,
    description: algorithm.description,
    mechanism: algorithm.mechanism,
    params: z.toJSONSchema(algorithm.params, { io: "input", unrepresentable: "any" }),
  };
  return sha256Bytes32(canonicalJson(description));
}

/** A parameter set's hash: SHA-256 of its canonical JSON, as the researcher wrote it (before defaults). */
export function paramsHash(params: unknown): Bytes32 {
  return sha256Bytes32(canonicalJson(params));
}

/** An output's hash: SHA-256 of its canonical JSON. */
export function outputHash(output: unknown): Bytes32 {
  return sha256Bytes32(canonicalJson(output));
}

/** ε of a statistic: positive, at most 100 (the owner's per-run cap is usually far lower). */
export const EpsilonSchema = z.number().positive().max(100);

/** The record's value of feature `index`, as stored (before `featureScale`). */
export function featureValue(dataset: LabelledExamples, record: number, index: number, size: number): number {
  return dataset.features[record * size + index] as number;
}
