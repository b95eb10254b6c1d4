import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { type JobId, parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";

/** Metrics an update may carry: training loss/accuracy, and the held-out evaluation of the round's input model. */
export const UPDATE_METRICS = ["loss", "accuracy", "evalLoss", "evalAccuracy"] as const;
export type UpdateMetricName = (typeof UPDATE_METRICS)[number];

/** What the owner lets leave the machine besides updates: evaluations and metrics. */
export interface OwnerDisclosurePolicy {
  /**
   * Evaluations on the held-out records of models the coordinator chooses, per job: `evaluate` requests, and
   * updates carrying `evalLoss`/`evalAccuracy`. Default: the job's rounds (one per round).
   */
  readonly evaluationsPerJob?: number | undefined;
  /** Decimal places of every metric sent; 0 withholds metrics altogether. Default 4. */
  readonly metricPrecision?: number | undefined;
  /** The metrics an update carries (rounded to `metricPrecision`); default loss and accuracy. */
  readonly updateMetrics?: readonly UpdateMetricName[] | undefined;
}

export const DEFAULT_METRIC_PRECISION = 4;
export const DEFAULT_UPDATE_METRICS: readonly UpdateMetricName[] = ["loss", "accuracy"];

export class EvaluationRefusedError extends TributaryError {
  constructor(code: "EVALUATION_ALLOWANCE_EXHAUSTED" | "PRIVACY_BUDGET_SPENT", message: string, jobId: string) {
    super(code, message, { details: { jobId } });
  }
}

const StateSchema = z.strictObject({
  version: z.literal(1),
  jobs: z.record(z.string(), z.strictObject({ used: z.number().int().nonnegative(), budgetRefused: z.boolean() })),
});
type State = z.infer<typeof StateSchema>;

/** `value` rounded half away from zero to `places` decimal places. */
export function roundMetric(value: number, places: number): number {
  const scale = 10 ** places;
  return (Math.sign(value) * Math.round(Math.abs(value) * scale)) / scale;
}

/**
 * The owner's disclosure policy for one dataset, with the evaluations each job has used kept on disk (so a
 * restart does not refill the allowance). An evaluation is refused past the job's allowance, after the dataset's
 * privacy budget is spent, or once the job's training was refused for want of budget.
 */
export class EvaluationAllowance {
  readonly precision: number;
  readonly updateMetrics: readonly UpdateMetricName[];

  private constructor(
    private readonly file: string,
    private readonly policy: OwnerDisclosurePolicy,
    private readonly state: State,
  ) {
    this.precision = policy.metricPrecision ?? DEFAULT_METRIC_PRECISION;
    if (!Number.isInteger(this.precision) || this.precision < 0 || this.precision > 15) {
      throw new RangeError(`metricPrecision must be an integer in [0, 15], not ${this.precision}`);
    }
    this.updateMetrics = policy.updateMetrics ?? DEFAULT_UPDATE_METRICS;
  }

  /** Opens (or creates) the record kept in `stateDir`. */
  static async open(stateDir: string, datasetId: string, policy: OwnerDisclosurePolicy): Promise<EvaluationAllowance> {
    const file = path.join(stateDir, `evaluations-${datasetId}.json`);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    const state =
      text === undefined ? { version: 1 as const, jobs: {} } : parseInput(StateSchema, JSON.parse(text), file);
    return new EvaluationAllowance(file, policy, state);
  }

  /** Whether metrics are withheld altogether (precision 0). */
  get withheld(): boolean {
    return this.precision === 0;
  }

  /** Evaluations `jobId` may still use, for a job of `rounds` rounds. */
  remaining(jobId: JobId, rounds: number): number {
    const allowed = this.policy.evaluationsPerJob ?? rounds;
    return Math.max(0, allowed - (this.state.jobs[jobId]?.used ?? 0));
  }

  /** Uses one of the job's evaluations (recorded on disk first), or throws `EvaluationRefusedError`. */
  async take(jobId: JobId, rounds: number, budgetSpent: boolean): Promise<void> {
    const entry = this.state.jobs[jobId] ?? { used: 0, budgetRefused: false };
    if (budgetSpent || entry.budgetRefused) {
      throw new EvaluationRefusedError(
        "PRIVACY_BUDGET_SPENT",
        `no evaluation for job ${jobId}: ${budgetSpent ? "the dataset's privacy budget is spent" : "the dataset's privacy budget could not pay for the job's training"}`,
        jobId,
      );
    }
    const allowed = this.policy.evaluationsPerJob ?? rounds;
    if (entry.used >= allowed) {
      throw new EvaluationRefusedError(
        "EVALUATION_ALLOWANCE_EXHAUSTED",
        `job ${jobId} has used its ${allowed} evaluation(s) on this dataset's held-out records (the owner's allowance)`,
        jobId,
      );
    }
    this.state.jobs[jobId] = { ...entry, used: entry.used + 1 };
    await this.#save();
  }

  /** Like `take`, but answers false instead of throwing when the evaluation is refused. */
  async tryTake(jobId: JobId, rounds: number, budgetSpent: boolean): Promise<boolean> {
    try {
      await this.take(jobId, rounds, budgetSpent);
      return true;
    } catch (error) {
      if (error instanceof EvaluationRefusedError) return false;
      throw error;
    }
  }

  /** Records that the job's training was refused for want of privacy budget: it gets no more evaluations. */
  async markBudgetRefused(jobId: JobId): Promise<void> {
    this.state.jobs[jobId] = { used: this.state.jobs[jobId]?.used ?? 0, budgetRefused: true };
    await this.#save();
  }

  /** The metrics as they may be sent: rounded to the owner's precision; none when withheld. */
  disclose(metrics: Readonly<Record<string, number>>): Record<string, number> {
    if (this.withheld) return {};
    return Object.fromEntries(
      Object.entries(metrics).map(([name, value]) => [name, roundMetric(value, this.precision)]),
    );
  }

  /** Whether updates should carry the held-out evaluation of the round's input model. */
  get wantsUpdateEvaluation(): boolean {
    return !this.withheld && this.updateMetrics.some((name) => name === "evalLoss" || name === "evalAccuracy");
  }

  /** An update's metrics: those the owner allows, rounded; `evalExamples` comes with any held-out metric. */
  updateMetricsOf(
    training: { loss: number; accuracy: number },
    evaluation: { loss: number; accuracy: number; numExamples: number } | undefined,
  ): Record<string, number> {
    const all: Record<UpdateMetricName, number | undefined> = {
      loss: training.loss,
      accuracy: training.accuracy,
      evalLoss: evaluation?.loss,
      evalAccuracy: evaluation?.accuracy,
    };
    const chosen: Record<string, number> = {};
    for (const name of this.updateMetrics) {
      const value = all[name];
      if (value !== undefined) chosen[name] = value;
    }
    const disclosed = this.disclose(chosen);
    if (evaluation !== undefined && ("evalLoss" in disclosed || "evalAccuracy" in disclosed)) {
      disclosed.evalExamples = evaluation.numExamples;
    }
    return disclosed;
  }

  async #save(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    await writeFile(temp, JSON.stringify(this.state));
    await rename(temp, this.file);
  }
}
