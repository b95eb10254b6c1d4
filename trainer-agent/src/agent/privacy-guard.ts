import path from "node:path";
import {
  calibrateNoiseMultiplier,
  type LabelledSpend,
  type PrivacyBudget,
  PrivacyBudgetExceededError,
  PrivacyBudgetLedger,
  type PrivacySpend,
} from "@tributary/privacy";
import { type JobId, type TrainInstruction, TributaryError } from "@tributary/protocol";
import type { GradientTransform } from "../gradient-transform.js";
import { dpSgdTransform } from "./dp-sgd-transform.js";
import { PrivacyLedgerFile } from "./privacy-ledger-file.js";

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
  /** min(localEpochs · ⌈N / batchSize⌉, maxLocalSteps): the steps `trainLocal` takes. */
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
  /**
   * A SecAgg round with DP on: no DP-SGD; the trainer clips its update to L2 norm `clipNorm` and adds its share of
   * the sum's discrete Gaussian noise (multiplier `noiseMultiplier`, for at least `minSurvivors` survivors).
   */
  readonly distributed?: { readonly noiseMultiplier: number; readonly clipNorm: number; readonly minSurvivors: number };
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
    /**
     * The round runs SecAgg with at least `minSurvivors` survivors: with DP on, the distributed mechanism is charged
     * (one Gaussian release of the round's sum) instead of DP-SGD's steps.
     */
    secureAggregation?: { readonly minSurvivors: number };
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

/** q, steps, σ and C of a DP-SGD round, from the hyper-parameters it runs with and the local record count. */
export function roundAccounting(
  hyperParams: RoundHyperParams,
  datasetSize: number,
  noiseMultiplier: (sampleRate: number, steps: number) => number,
): RoundAccounting {
  const dp = hyperParams.dp;
  if (dp.mode === "off") throw new RangeError("no accounting without DP");
  const sampleRate = Math.min(1, hyperParams.batchSize / datasetSize);
  const steps = Math.min(
    hyperParams.localEpochs * Math.ceil(datasetSize / hyperParams.batchSize),
    hyperParams.maxLocalSteps ?? Number.POSITIVE_INFINITY,
  );
  return { sampleRate, steps, noiseMultiplier: noiseMultiplier(sampleRate, steps), l2NormClip: dp.l2NormClip };
}

/** The DP-SGD hyper-parameters of one training run (never `off`). */
export type DpSgdHyperParams = RoundHyperParams & { dp: Extract<RoundHyperParams["dp"], { mode: "dp-sgd" }> };

/**
 * The accounting of one stand-alone DP-SGD run (a compute-to-data training step): σ as given, or calibrated so
 * this run alone reaches the target ε at its δ.
 */
export function runAccounting(hyperParams: DpSgdHyperParams, datasetSize: number): RoundAccounting {
  const { dp } = hyperParams;
  return roundAccounting(
    hyperParams,
    datasetSize,
    (sampleRate, steps) =>
      dp.noiseMultiplier ??
      calibrateNoiseMultiplier({ targetEpsilon: dp.targetEpsilon, sampleRate, steps, delta: dp.delta }),
  );
}

/**
 * Enforces the data owner's privacy budget on the trainer's side, where the data is. Every DP-SGD round is
 * accounted from the hyper-parameters it will actually train with (q = batch/N, steps = epochs·⌈N/batch⌉ capped
 * at maxLocalSteps, the job's clipping norm and σ) and charged to the dataset's ledger, which is written to disk, before a single record
 * is read; a round the budget cannot pay for is refused (`PrivacyBudgetExceededError`) with nothing charged.
 * Each step then clips the microbatch gradients and adds Gaussian noise from the CSPRNG-backed sampler; a step
 * beyond those charged is refused. The compute-to-data node charges the same ledger (`prepareRun` for its training
 * step, `chargeRelease` for its DP statistics): every charge reads the ledger on disk again under its lock
 * (`PrivacyLedgerFile`), so processes that share a state directory compose their spending, never overwrite it.
 *
 * Accounting note: local training draws fixed-size shuffled batches, and the ledger composes the Poisson-
 * subsampled Gaussian mechanism with q = batch/N — the approximation DP-SGD implementations commonly make.
 */
export class DatasetPrivacyGuard implements PrivacyGuard {
  readonly #noiseMultipliers = new Map<string, number>();
  #ledger: PrivacyBudgetLedger;

  private constructor(
    private readonly file: PrivacyLedgerFile,
    private readonly datasetId: string,
    private readonly policy: OwnerPrivacyPolicy,
    ledger: PrivacyBudgetLedger,
  ) {
    this.#ledger = ledger;
  }

  /**
   * Opens (or creates) the ledger kept in `stateDir` and enforces the policy's budget from now on: what was spent
   * stays, the budget is the owner's as it is given now (with a chain, by default the one enrolled on
   * DatasetRegistry, which may have changed since the last start). A budget below what was already spent is
   * refused (`PrivacyBudgetBelowSpentError`), with the ledger left as it was.
   */
  static async open(stateDir: string, datasetId: string, policy: OwnerPrivacyPolicy): Promise<DatasetPrivacyGuard> {
    const file = new PrivacyLedgerFile(privacyLedgerFile(stateDir, datasetId));
    const budget = { epsilon: policy.epsilon, delta: policy.delta };
    try {
      const { ledger } = await file.update((stored) => {
        const ledger = stored ?? new PrivacyBudgetLedger();
        ledger.register(datasetId, budget);
        return { ledger, result: undefined };
      });
      return new DatasetPrivacyGuard(file, datasetId, policy, ledger);
    } catch (error) {
      if (!(error instanceof PrivacyBudgetExceededError)) throw error;
      throw new PrivacyBudgetBelowSpentError(datasetId, file.file, budget, error);
    }
  }

  /**
   * Reads the ledger the agent keeps for `datasetId` in `stateDir` without creating one: `undefined` when the agent
   * has none there (it never ran for this dataset with this state directory).
   */
  static async readReport(stateDir: string, datasetId: string): Promise<PrivacyLedgerReport | undefined> {
    const file = privacyLedgerFile(stateDir, datasetId);
    const ledger = await new PrivacyLedgerFile(file).read();
    if (ledger === undefined) return undefined;
    return {
      file,
      budget: ledger.budget(datasetId),
      spent: ledger.spent(datasetId),
      byJob: ledger.spentByLabel(datasetId),
    };
  }

  /** The budget this guard enforces. */
  budget(): PrivacyBudget {
    return { epsilon: this.policy.epsilon, delta: this.policy.delta };
  }

  /** (ε, δ) spent so far on this dataset, as of this guard's last charge (`refresh` reads the disk again). */
  spent(): PrivacySpend {
    return this.#ledger.spent(this.datasetId);
  }

  /** Reads the ledger on disk again: what every process sharing it spent. */
  async refresh(): Promise<PrivacySpend> {
    const stored = await this.file.read();
    if (stored !== undefined) this.#ledger = stored;
    return this.spent();
  }

  exhausted(): boolean {
    return !(this.#ledger.remaining(this.datasetId).epsilon > 0);
  }

  async prepareRound(input: {
    jobId: JobId;
    round: number;
    rounds: number;
    hyperParams: RoundHyperParams;
    datasetSize: number;
    secureAggregation?: { readonly minSurvivors: number };
  }): Promise<RoundPrivacy> {
    const { hyperParams, datasetSize, jobId } = input;
    const dp = hyperParams.dp;
    if (dp.mode === "off") {
      if (this.policy.allowNonPrivate !== true) throw new NonPrivateJobRefusedError(this.datasetId, jobId);
      return { training: {}, accounting: null, charged: { epsilonSpent: null, delta: 0 } };
    }
    if (input.secureAggregation !== undefined) {
      return this.#chargeDistributed(jobId, dp, input.rounds, input.secureAggregation.minSurvivors);
    }
    const accounting = roundAccounting(hyperParams, datasetSize, (sampleRate, steps) =>
      this.#noiseMultiplier(jobId, dp, sampleRate, steps * input.rounds),
    );
    return this.#chargeSteps(jobId, hyperParams.batchSize, accounting);
  }

  /**
   * Charges one compute-to-data training run (DP-SGD always: its hyper-parameters have no `off`) under `label`,
   * with σ as given or calibrated so this run alone reaches the target ε at its δ, and writes the ledger before a
   * record is read; or throws `PrivacyBudgetExceededError` with nothing charged.
   */
  prepareRun(input: { label: string; hyperParams: DpSgdHyperParams; datasetSize: number }): Promise<RoundPrivacy> {
    const accounting = runAccounting(input.hyperParams, input.datasetSize);
    return this.#chargeSteps(input.label, input.hyperParams.batchSize, accounting);
  }

  /**
   * Charges an (ε, δ)-DP release (a compute-to-data statistic) under `label` and writes the ledger, or throws
   * `PrivacyBudgetExceededError` with nothing charged. Returns what the dataset has spent in all, the release
   * included.
   */
  async chargeRelease(spend: PrivacySpend, label: string): Promise<PrivacySpend> {
    return this.#charge((ledger) => ledger.spendEpsilonDelta(this.datasetId, spend, label));
  }

  async #chargeSteps(label: string, batchSize: number, accounting: RoundAccounting): Promise<RoundPrivacy> {
    // Charged in full before any record is read: throws, recording nothing, if the budget cannot pay for it.
    const charged = await this.#charge((ledger) =>
      ledger.spendGaussianSteps(
        this.datasetId,
        { noiseMultiplier: accounting.noiseMultiplier, sampleRate: accounting.sampleRate, count: accounting.steps },
        label,
      ),
    );
    const microbatchSize = this.policy.microbatchSize ?? 8;
    return {
      training: { gradientTransform: dpSgdTransform(accounting, batchSize / microbatchSize), microbatchSize },
      accounting,
      charged: { epsilonSpent: charged.epsilon, delta: charged.delta },
    };
  }

  /**
   * Distributed DP under SecAgg (privacy's `distributed-noise.ts`): the round releases one sum to which this dataset
   * contributes an update of L2 norm ≤ C, with Gaussian noise of multiplier ≥ z in total, so the round is one
   * Gaussian mechanism at z on the whole dataset: charged as one step with sampling rate 1 (RDP α/(2z²)). z is the
   * job's, or calibrated so that its `rounds` such releases reach its target ε at its δ.
   */
  async #chargeDistributed(
    jobId: string,
    dp: Extract<RoundHyperParams["dp"], { mode: "dp-sgd" }>,
    rounds: number,
    minSurvivors: number,
  ): Promise<RoundPrivacy> {
    const noiseMultiplier = this.#noiseMultiplier(`${jobId}:secagg`, dp, 1, rounds);
    const charged = await this.#charge((ledger) =>
      ledger.spendGaussianSteps(this.datasetId, { noiseMultiplier, sampleRate: 1, count: 1 }, jobId),
    );
    return {
      training: {},
      accounting: null,
      charged: { epsilonSpent: charged.epsilon, delta: charged.delta },
      distributed: { noiseMultiplier, clipNorm: dp.l2NormClip, minSurvivors },
    };
  }

  /** Spends from the ledger as it is on disk now, under its lock, with this guard's budget; writes it. */
  async #charge(spend: (ledger: PrivacyBudgetLedger) => PrivacySpend): Promise<PrivacySpend> {
    const { ledger, result } = await this.file.update((stored) => {
      const ledger = stored ?? new PrivacyBudgetLedger();
      ledger.register(this.datasetId, this.budget());
      return { ledger, result: spend(ledger) };
    });
    this.#ledger = ledger;
    return result;
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
}
