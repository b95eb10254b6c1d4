import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  addGaussianNoise,
  calibrateNoiseMultiplier,
  clipPerExample,
  type LabelledSpend,
  type PrivacyBudget,
  PrivacyBudgetExceededError,
  PrivacyBudgetLedger,
  type PrivacySpend,
} from "@tributary/privacy";
import { type JobId, type TrainInstruction, TributaryError } from "@tributary/protocol";
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

/** The hyper-parameters a round trains with: exactly the ones passed to `trainLocal`. */
export type RoundHyperParams = TrainInstruction["hyperParams"];

/** How a DP-SGD round is accounted: derived from the hyper-parameters the round runs with. */
export interface RoundAccounting {
  /** q = batchSize / N (capped at 1). */
  readonly sampleRate: number;
  /** localEpochs · ⌈N / batchSize⌉: the steps `trainLocal` takes. */
  readonly steps: number;
  readonly noiseMultiplier: number;
  readonly l2NormClip: number;
}

/** What a round may do with the data, decided (and paid for) before any of it is read. */
export interface RoundPrivacy {
  /** Options for `trainLocal`: the DP-SGD gradient transform and microbatch size (empty without DP). */
  readonly training: { gradientTransform?: GradientTransform; microbatchSize?: number };
  /** The round's accounting (null: the job is not private). */
  readonly accounting: RoundAccounting | null;
  /** The dataset's cumulative ε (null: not private) at δ, the round included: already charged and on disk. */
  readonly charged: { epsilonSpent: number | null; delta: number };
}

export interface PrivacyGuard {
  /**
   * Charges the whole round to the dataset's budget and writes the ledger to disk, or throws (budget, owner
   * policy) without charging; only then may the round read a record.
   */
  prepareRound(input: {
    jobId: JobId;
    round: number;
    /** Rounds the job has (σ calibrated from a target ε is spread over all of them). */
    rounds: number;
    hyperParams: RoundHyperParams;
    datasetSize: number;
  }): Promise<RoundPrivacy>;
  /** Whether the dataset's ε budget is used up (nothing more can be released from it). */
  exhausted(): boolean;
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

/** A DP-SGD round tried to take more steps than it was charged for (it is stopped before reading the batch). */
export class UnchargedStepError extends TributaryError {
  constructor(steps: number) {
    super("PRIVACY_STEP_NOT_CHARGED", `the round was charged for ${steps} DP-SGD steps and tried to take more`, {
      details: { steps },
    });
  }
}

/** The budget the owner now gives is below what the dataset already spent: no DP round could run on it. */
export class PrivacyBudgetBelowSpentError extends TributaryError {
  constructor(datasetId: string, file: string, budget: PrivacyBudget, cause: PrivacyBudgetExceededError) {
    const spent = (cause.details as { wouldSpend?: { epsilon?: number } }).wouldSpend?.epsilon;
    super(
      "PRIVACY_BUDGET_BELOW_SPENT",
      `dataset ${datasetId} has already spent ε ${spent} (${file}), more than the budget ε ${budget.epsilon}, δ ${budget.delta} it is given now: no DP round can run within it`,
      { details: { datasetId, file, budget, spent }, cause },
    );
  }
}

/** A dataset's privacy ledger as the agent keeps it on disk: the budget, the total spent and each job's share. */
export interface PrivacyLedgerReport {
  readonly file: string;
  /** The budget the agent enforces (the one it was given when it last started). */
  readonly budget: PrivacyBudget;
  /** Everything spent, composed. */
  readonly spent: PrivacySpend;
  /** Each job's DP-SGD rounds composed on their own (`label` is the job id, `spends` its rounds charged). */
  readonly byJob: readonly LabelledSpend[];
}

/** Where the agent keeps dataset `datasetId`'s privacy ledger in its state directory. */
export function privacyLedgerFile(stateDir: string, datasetId: string): string {
  return path.join(stateDir, `privacy-ledger-${datasetId}.json`);
}

/** The ledger in `file`, or `undefined` when there is none; a file that is not a ledger is an error naming it. */
async function readLedger(file: string): Promise<PrivacyBudgetLedger | undefined> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  try {
    return PrivacyBudgetLedger.fromJSON(JSON.parse(text));
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `${file} is not a privacy ledger: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** q, steps, σ and C of a DP-SGD round, from the hyper-parameters it runs with and the local record count. */
export function roundAccounting(
  hyperParams: RoundHyperParams,
  datasetSize: number,
  noiseMultiplier: (sampleRate: number, steps: number) => number,
): RoundAccounting {
  const dp = hyperParams.dp;
  if (dp.mode === "off") throw new RangeError("no accounting without DP");
  const sampleRate = Math.min(1, hyperParams.batchSize / datasetSize);
  const steps = hyperParams.localEpochs * Math.ceil(datasetSize / hyperParams.batchSize);
  return { sampleRate, steps, noiseMultiplier: noiseMultiplier(sampleRate, steps), l2NormClip: dp.l2NormClip };
}

/**
 * Enforces the data owner's privacy budget on the trainer's side, where the data is. Every DP-SGD round is
 * accounted from the hyper-parameters it will actually train with (q = batch/N, steps = epochs·⌈N/batch⌉, the
 * job's clipping norm and σ) and charged to the dataset's ledger, which is written to disk, before a single record
 * is read; a round the budget cannot pay for is refused (`PrivacyBudgetExceededError`) with nothing charged.
 * Each step then clips the microbatch gradients and adds Gaussian noise from the CSPRNG-backed sampler; a step
 * beyond those charged is refused.
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

  /**
   * Opens (or creates) the ledger kept in `stateDir` and enforces the policy's budget from now on: what was spent
   * stays, the budget is the owner's as it is given now (with a chain, by default the one enrolled on
   * DatasetRegistry, which may have changed since the last start). A budget below what was already spent is
   * refused (`PrivacyBudgetBelowSpentError`), with the ledger left as it was.
   */
  static async open(stateDir: string, datasetId: string, policy: OwnerPrivacyPolicy): Promise<DatasetPrivacyGuard> {
    const file = privacyLedgerFile(stateDir, datasetId);
    const stored = await readLedger(file);
    const ledger = stored ?? new PrivacyBudgetLedger();
    const budget = { epsilon: policy.epsilon, delta: policy.delta };
    try {
      ledger.register(datasetId, budget);
    } catch (error) {
      if (!(error instanceof PrivacyBudgetExceededError)) throw error;
      throw new PrivacyBudgetBelowSpentError(datasetId, file, budget, error);
    }
    const guard = new DatasetPrivacyGuard(file, datasetId, policy, ledger);
    await guard.#save();
    return guard;
  }

  /**
   * Reads the ledger the agent keeps for `datasetId` in `stateDir` without creating one: `undefined` when the agent
   * has none there (it never ran for this dataset with this state directory).
   */
  static async readReport(stateDir: string, datasetId: string): Promise<PrivacyLedgerReport | undefined> {
    const file = privacyLedgerFile(stateDir, datasetId);
    const ledger = await readLedger(file);
    if (ledger === undefined) return undefined;
    return {
      file,
      budget: ledger.budget(datasetId),
      spent: ledger.spent(datasetId),
      byJob: ledger.spentByLabel(datasetId),
    };
  }

  /** (ε, δ) spent so far on this dataset. */
  spent(): PrivacySpend {
    return this.ledger.spent(this.datasetId);
  }

  exhausted(): boolean {
    return !(this.ledger.remaining(this.datasetId).epsilon > 0);
  }

  async prepareRound(input: {
    jobId: JobId;
    round: number;
    rounds: number;
    hyperParams: RoundHyperParams;
    datasetSize: number;
  }): Promise<RoundPrivacy> {
    const { hyperParams, datasetSize, jobId } = input;
    const dp = hyperParams.dp;
    if (dp.mode === "off") {
      if (this.policy.allowNonPrivate !== true) throw new NonPrivateJobRefusedError(this.datasetId, jobId);
      return { training: {}, accounting: null, charged: { epsilonSpent: null, delta: 0 } };
    }
    const accounting = roundAccounting(hyperParams, datasetSize, (sampleRate, steps) =>
      this.#noiseMultiplier(jobId, dp, sampleRate, steps * input.rounds),
    );
    // Charged in full before any record is read: throws, recording nothing, if the budget cannot pay for it.
    const charged = this.ledger.spendGaussianSteps(
      this.datasetId,
      { noiseMultiplier: accounting.noiseMultiplier, sampleRate: accounting.sampleRate, count: accounting.steps },
      jobId,
    );
    await this.#save();
    const microbatchSize = this.policy.microbatchSize ?? 8;
    const expectedMicrobatches = hyperParams.batchSize / microbatchSize;
    const stddev = accounting.noiseMultiplier * accounting.l2NormClip;
    let stepsTaken = 0;
    const gradientTransform: GradientTransform = (batch: MicrobatchGradients) => {
      if (stepsTaken >= accounting.steps) throw new UnchargedStepError(accounting.steps);
      stepsTaken++;
      const first = batch.gradients[0];
      if (first === undefined) throw new RangeError("a batch has at least one microbatch");
      const rows = new Float32Array(batch.gradients.length * first.length);
      for (const [row, gradient] of batch.gradients.entries()) rows.set(gradient, row * first.length);
      const out = new Float32Array(first.length);
      clipPerExample(rows, batch.gradients.length, accounting.l2NormClip, out);
      addGaussianNoise(out, stddev, { sensitivity: accounting.l2NormClip });
      for (let index = 0; index < out.length; index++) out[index] = (out[index] as number) / expectedMicrobatches;
      return out;
    };
    return {
      training: { gradientTransform, microbatchSize },
      accounting,
      charged: { epsilonSpent: charged.epsilon, delta: charged.delta },
    };
  }

  /** σ for the job: as the job states it, or calibrated so its planned steps reach its target ε at its δ. */
  #noiseMultiplier(
    jobId: string,
    dp: Extract<RoundHyperParams["dp"], { mode: "dp-sgd" }>,
    sampleRate: number,
    steps: number,
  ): number {
    let sigma = this.#noiseMultipliers.get(jobId);
    if (sigma === undefined) {
      sigma =
        dp.noiseMultiplier ??
        calibrateNoiseMultiplier({ targetEpsilon: dp.targetEpsilon, sampleRate, steps, delta: dp.delta });
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
