import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  calibrateNoiseMultiplier,
  PrivacyBudgetExceededError,
  PrivacyBudgetLedger,
  privateGradientSum,
} from "@tributary/privacy";
import { type JobId, type JobSpec, TributaryError } from "@tributary/protocol";
import type { GradientTransform, MicrobatchGradients } from "../gradient-transform.js";

/** The owner's standing orders for one dataset. */
export interface OwnerPrivacyPolicy {
  /** Total (ε, δ) the dataset may ever spend, across all jobs. */
  readonly epsilon: number;
  readonly delta: number;
  /** Whether jobs without differential privacy may train on this dataset at all (ε = ∞). Default false. */
  readonly allowNonPrivate?: boolean;
  /** Records per microbatch for DP-SGD clipping (1 = per-example). Default 8. */
  readonly microbatchSize?: number;
}

/** What a round may do with the data, decided before any of it is read. */
export interface RoundPrivacy {
  /** Options for `trainLocal`: the DP-SGD gradient transform and microbatch size (empty without DP). */
  readonly training: { gradientTransform?: GradientTransform; microbatchSize?: number };
  /** Records the round's privacy cost on disk; returns the dataset's cumulative ε (null: not private) at δ. */
  commit(): Promise<{ epsilonSpent: number | null; delta: number }>;
}

export interface PrivacyGuard {
  prepareRound(input: { jobId: JobId; round: number; spec: JobSpec; datasetSize: number }): Promise<RoundPrivacy>;
}

export class NonPrivateJobRefusedError extends TributaryError {
  constructor(datasetId: string, jobId: string) {
    super(
      "NON_PRIVATE_JOB_REFUSED",
      `job ${jobId} trains without differential privacy, which dataset ${datasetId}'s owner does not allow`,
      {
        details: { datasetId, jobId },
      },
    );
  }
}

/**
 * Enforces the data owner's privacy budget on the trainer's side, where the data is: every DP-SGD round is
 * previewed against the dataset's ledger and refused (`PrivacyBudgetExceededError`) before a single record is
 * read; each step then spends on the ledger, clips the microbatch gradients and adds Gaussian noise from the
 * CSPRNG-backed sampler; the ledger is written to disk before the update leaves the machine.
 *
 * Accounting note: local training draws fixed-size shuffled batches, and the ledger composes the Poisson-
 * subsampled Gaussian mechanism with q = batch/N — the approximation DP-SGD implementations commonly make.
 */
export class DatasetPrivacyGuard implements PrivacyGuard {
  readonly #noiseMultipliers = new Map<string, number>();

  private constructor(
    private readonly file: string,
    private readonly datasetId: string,
    private readonly policy: OwnerPrivacyPolicy,
    private readonly ledger: PrivacyBudgetLedger,
  ) {}

  /** Opens (or creates) the ledger kept in `stateDir`; the budget is registered the first time. */
  static async open(stateDir: string, datasetId: string, policy: OwnerPrivacyPolicy): Promise<DatasetPrivacyGuard> {
    const file = path.join(stateDir, `privacy-ledger-${datasetId}.json`);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    const ledger = text === undefined ? new PrivacyBudgetLedger() : PrivacyBudgetLedger.fromJSON(JSON.parse(text));
    if (text === undefined) ledger.register(datasetId, { epsilon: policy.epsilon, delta: policy.delta });
    const guard = new DatasetPrivacyGuard(file, datasetId, policy, ledger);
    await guard.#save();
    return guard;
  }

  /** (ε, δ) spent so far on this dataset. */
  spent(): { epsilon: number; delta: number } {
    return this.ledger.spent(this.datasetId);
  }

  async prepareRound(input: {
    jobId: JobId;
    round: number;
    spec: JobSpec;
    datasetSize: number;
  }): Promise<RoundPrivacy> {
    const { spec, datasetSize, jobId } = input;
    if (spec.dp.mode === "off") {
      if (this.policy.allowNonPrivate !== true) throw new NonPrivateJobRefusedError(this.datasetId, jobId);
      return { training: {}, commit: async () => ({ epsilonSpent: null, delta: 0 }) };
    }
    const dp = spec.dp;
    const sampleRate = Math.min(1, spec.batchSize / datasetSize);
    const stepsPerRound = spec.localEpochs * Math.ceil(datasetSize / spec.batchSize);
    const noiseMultiplier = this.#noiseMultiplier(jobId, spec, sampleRate, stepsPerRound);
    // Refuses here, before any record is read, if the whole round would exceed the owner's budget.
    const after = this.ledger.previewGaussianSteps(this.datasetId, {
      noiseMultiplier,
      sampleRate,
      count: stepsPerRound,
    });
    const budget = this.ledger.budget(this.datasetId);
    if (!(after.epsilon <= budget.epsilon)) throw new PrivacyBudgetExceededError(this.datasetId, budget, after);
    const microbatchSize = this.policy.microbatchSize ?? 8;
    const expectedMicrobatches = spec.batchSize / microbatchSize;
    const gradientTransform: GradientTransform = (batch: MicrobatchGradients) => {
      const first = batch.gradients[0];
      if (first === undefined) throw new RangeError("a batch has at least one microbatch");
      const rows = new Float32Array(batch.gradients.length * first.length);
      for (const [row, gradient] of batch.gradients.entries()) rows.set(gradient, row * first.length);
      const out = new Float32Array(first.length);
      privateGradientSum({
        ledger: this.ledger,
        datasetId: this.datasetId,
        noiseMultiplier,
        sampleRate,
        clipping: dp.l2NormClip,
        loadGradients: () => ({ perExample: rows, numExamples: batch.gradients.length }),
        out,
      });
      for (let index = 0; index < out.length; index++) out[index] = (out[index] as number) / expectedMicrobatches;
      return out;
    };
    return {
      training: { gradientTransform, microbatchSize },
      commit: async () => {
        await this.#save();
        const spent = this.spent();
        return { epsilonSpent: spent.epsilon, delta: spent.delta };
      },
    };
  }

  /** σ for the job: as the job states it, or calibrated so its planned steps reach its target ε at its δ. */
  #noiseMultiplier(jobId: string, spec: JobSpec, sampleRate: number, stepsPerRound: number): number {
    if (spec.dp.mode === "off") throw new RangeError("no noise without DP");
    let sigma = this.#noiseMultipliers.get(jobId);
    if (sigma === undefined) {
      sigma =
        spec.dp.noiseMultiplier ??
        calibrateNoiseMultiplier({
          targetEpsilon: spec.dp.targetEpsilon,
          sampleRate,
          steps: stepsPerRound * spec.rounds,
          delta: spec.dp.delta,
        });
      this.#noiseMultipliers.set(jobId, sigma);
    }
    return sigma;
  }

  async #save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    await writeFile(temp, JSON.stringify(this.ledger.toJSON()));
    await rename(temp, this.file);
  }
}
