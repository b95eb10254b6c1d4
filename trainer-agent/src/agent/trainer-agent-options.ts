import type { Enclave } from "@tributary/enclave-compute";
import type { Bytes32, DatasetId, DatasetManifest, Hello, JobId, SecAggStage } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Dataset } from "../dataset.js";
import type { EvaluationAllowance } from "./evaluation-allowance.js";
import type { JobAdmission } from "./job-admission.js";
import type { PrivacyGuard } from "./privacy-guard.js";

/** What the agent tells its operator (and `npm start`'s progress display). Metrics here stay on this machine. */
export type AgentEvent =
  | { type: "connected"; mode: Hello["mode"] }
  | { type: "disconnected"; reason: string }
  | { type: "notice"; message: string }
  | { type: "joined"; jobId: JobId; simulated: boolean }
  | { type: "job-refused"; jobId: JobId; code: string; message: string }
  | {
      type: "trained";
      jobId: JobId;
      round: number;
      loss: number;
      /** Accuracy of the round's input model on the held-out records, when the owner lets updates carry it. */
      evalAccuracy: number | null;
      epsilonSpent: number | null;
      seconds: number;
    }
  | { type: "refused"; jobId: JobId; round: number; code: string; message: string }
  | { type: "evaluated"; jobId: JobId; round: number; accuracy: number | null }
  | { type: "rejected"; jobId: JobId; round: number; code: string; message: string }
  | { type: "job-closed"; jobId: JobId; status: string }
  /** A SecAgg stage message of this trainer was acknowledged (`masked-input`: its masked update). */
  | { type: "secagg"; jobId: JobId; round: number; stage: SecAggStage }
  /** The trainer refused to go on with a round's SecAgg (e.g. asked for both secrets of one neighbour). */
  | { type: "secagg-refused"; jobId: JobId; round: number; code: string; message: string }
  | { type: "error"; message: string };

export interface TrainerAgentOptions {
  readonly coordinatorUrl: string;
  readonly wallet: Wallet;
  readonly datasetId: DatasetId;
  /** The owner's training records; never leave this process. */
  readonly train: Dataset;
  /** Held-out records for federated evaluation of each global model. */
  readonly evaluation: Dataset;
  /** The commitment derived from the local files; must equal the one enrolled for `datasetId`. */
  readonly commitment: Bytes32;
  /** The local files' manifest (what `commitment` hashes); sent to the coordinator after every login. */
  readonly manifest: DatasetManifest;
  readonly enclave: Enclave;
  readonly privacy: PrivacyGuard;
  /** The owner's evaluation allowance and metric disclosure (see `EvaluationAllowance.open`). */
  readonly disclosure: EvaluationAllowance;
  /** Which jobs the owner takes part in, checked before any record is read; default `OFF_CHAIN_ADMISSION`. */
  readonly admission?: JobAdmission;
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Threads local training may compute with (default 1): on the WebAssembly backend, model-runtime's training
   * kernels split each batch over them (one WebAssembly instance per thread). Set it to the cores the owner gives.
   */
  readonly trainingThreads?: number;
  /**
   * Applied to each round's update (trained − global weights) before it is hashed, signed and sent; the update
   * is sent as it is when absent. A seam for harnesses (the demo and benchmarks plug Byzantine attacks in here).
   */
  readonly updateTransform?: UpdateTransform;
}

/** Maps a round's update (trained − global weights, one float per parameter) to the update to send. */
export type UpdateTransform = (update: Float32Array) => Float32Array;
