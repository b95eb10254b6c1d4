import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { InvalidPrivacyParameterError, PrivacyBudgetExceededError, UnknownDatasetBudgetError } from "./errors.js";
import { GaussianStepHistory, type GaussianSteps, GaussianStepsSchema } from "./gaussian-step-history.js";
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkSampleRate, checkSteps } from "./privacy-parameters.js";
import { PrvAccountant } from "./prv-accountant.js";
import { RdpAccountant } from "./rdp-accountant.js";

/** A data owner's budget for one dataset: the whole of what may ever be spent on it. */
export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/** What has been (or would be) spent: ε at the budget's δ. */
export interface PrivacySpend {
  readonly epsilon: number;
  readonly delta: number;
}

/**
 * What was spent under one label cost on its own: its Gaussian steps composed by the accountant, plus its other
 * releases' ε by basic composition, at the budget's δ, over `spends` spends.
 */
export interface LabelledSpend extends PrivacySpend {
  readonly label: string;
  readonly spends: number;
}

const PrivacyBudgetSchema = z.strictObject({
  epsilon: z.number().positive().refine(Number.isFinite, "must be finite"),
  delta: z.number().gt(0).lt(1),
});

const OtherSpendSchema = z.strictObject({ epsilon: z.number().min(0), delta: z.number().min(0).lt(1) });

/**
 * What was spent under one label (a job id, a compute-to-data algorithm): how many spends, the Gaussian steps
 * grouped by (σ, q), and the other mechanisms' (ε, δ) (absent in ledgers written before them).
 */
const LabelEntrySchema = z.strictObject({
  spends: z.number().int().positive(),
  gaussian: z.array(GaussianStepsSchema),
  other: z.array(OtherSpendSchema).optional(),
});

const DatasetEntrySchema = z.strictObject({
  budget: PrivacyBudgetSchema,
  /** Subsampled-Gaussian steps, composed by the ledger's accountant. */
  gaussian: z.array(GaussianStepsSchema),
  /** Other mechanisms' (ε, δ), composed by basic composition on top. */
  other: z.array(OtherSpendSchema),
  /** The same spends again, by the label they were spent under (absent in ledgers written before labels). */
  byLabel: z.record(z.string().min(1), LabelEntrySchema).optional(),
});

export const PrivacyBudgetLedgerStateSchema = z.strictObject({
  version: z.literal(1),
  accountant: z.enum(["rdp", "prv"]),
  datasets: z.record(z.string().min(1), DatasetEntrySchema),
});
export type PrivacyBudgetLedgerState = z.infer<typeof PrivacyBudgetLedgerStateSchema>;

type DatasetEntry = z.infer<typeof DatasetEntrySchema>;
type LabelEntry = z.infer<typeof LabelEntrySchema>;

/** `entry` with one more spend under `label`, its Gaussian steps or other releases replaced by `change`'s. */
function withLabel(
  entry: DatasetEntry,
  label: string,
  change: Partial<Pick<LabelEntry, "gaussian" | "other">>,
): DatasetEntry {
  const previous = entry.byLabel?.[label];
  const labelled: LabelEntry = {
    spends: (previous?.spends ?? 0) + 1,
    gaussian: change.gaussian ?? previous?.gaussian ?? [],
    ...((change.other ?? previous?.other) === undefined ? {} : { other: change.other ?? previous?.other }),
  };
  return { ...entry, byLabel: { ...entry.byLabel, [label]: labelled } };
}

export interface PrivacyBudgetLedgerOptions {
  /** Accountant for the Gaussian steps: `rdp` (default, fast) or `prv` (tighter, slower). */
  readonly accountant?: "rdp" | "prv";
}

/**
 * Per-dataset ledger of privacy spent against the owner's budget (ε_B, δ_B). Gaussian steps (DP-SGD, DP-FedAvg
 * rounds) compose through the accountant; any other mechanism's (ε_i, δ_i) composes on top by basic composition:
 *
 *   spent ε = ε_acc(δ_B − Σδ_i) + Σε_i   at δ = δ_B.
 *
 * Every `spend*` computes what the dataset would have spent *after* the request and throws
 * `PrivacyBudgetExceededError` if that exceeds the budget, before recording anything. Callers spend first and
 * only then draw noise or read data (see `privateGradientSum`), so a refused request never touches either.
 */
export class PrivacyBudgetLedger {
  readonly accountant: "rdp" | "prv";
  private readonly datasets = new Map<string, DatasetEntry>();

  constructor(options: PrivacyBudgetLedgerOptions = {}) {
    this.accountant = options.accountant ?? "rdp";
  }

  /** Records the owner's budget for a dataset. A budget can be replaced, but never below what was spent. */
  register(datasetId: string, budget: PrivacyBudget): void {
    const parsed = parseInput(PrivacyBudgetSchema, budget, "PrivacyBudget");
    const existing = this.datasets.get(datasetId);
    const entry: DatasetEntry = {
      budget: parsed,
      gaussian: existing?.gaussian ?? [],
      other: existing?.other ?? [],
      ...(existing?.byLabel === undefined ? {} : { byLabel: existing.byLabel }),
    };
    if (existing !== undefined) this.assertWithin(datasetId, entry);
    this.datasets.set(datasetId, entry);
  }

  budget(datasetId: string): PrivacyBudget {
    return { ...this.entry(datasetId).budget };
  }

  /** What has been spent on the dataset so far. */
  spent(datasetId: string): PrivacySpend {
    const entry = this.entry(datasetId);
    return { epsilon: this.epsilonOf(entry), delta: entry.budget.delta };
  }

  /** What is left: the budget's ε minus what was spent, at the budget's δ. */
  remaining(datasetId: string): PrivacySpend {
    const entry = this.entry(datasetId);
    return { epsilon: Math.max(0, entry.budget.epsilon - this.epsilonOf(entry)), delta: entry.budget.delta };
  }

  /** What the dataset would have spent after `steps` more Gaussian steps (nothing is recorded). */
  previewGaussianSteps(datasetId: string, steps: GaussianSteps): PrivacySpend {
    const entry = this.withGaussian(this.entry(datasetId), steps);
    return { epsilon: this.epsilonOf(entry), delta: entry.budget.delta };
  }

  /**
   * Spends `count` steps of the subsampled Gaussian mechanism, or throws `PrivacyBudgetExceededError`. With a
   * `label` (a job id) the steps are also recorded under it, for `spentByLabel`.
   */
  spendGaussianSteps(datasetId: string, steps: GaussianSteps, label?: string): PrivacySpend {
    const entry = this.entry(datasetId);
    let next = this.withGaussian(entry, steps);
    if (label !== undefined) {
      const previous = entry.byLabel?.[label];
      const history = GaussianStepHistory.from(previous?.gaussian ?? []);
      history.add(steps.noiseMultiplier, steps.sampleRate, steps.count);
      next = withLabel(next, label, { gaussian: [...history.entries()] });
    }
    const epsilon = this.assertWithin(datasetId, next);
    this.datasets.set(datasetId, next);
    return { epsilon, delta: next.budget.delta };
  }

  /**
   * What each label's Gaussian steps cost on their own, composed by the ledger's accountant at the budget's δ, in
   * the order the labels were first spent under. Composition is subadditive, so these sum to at least `spent`'s
   * Gaussian part; steps spent without a label (and other mechanisms) are in no label.
   */
  spentByLabel(datasetId: string): LabelledSpend[] {
    const entry = this.entry(datasetId);
    return Object.entries(entry.byLabel ?? {}).map(([label, labelled]) => ({
      label,
      spends: labelled.spends,
      epsilon:
        (labelled.gaussian.length === 0 ? 0 : this.gaussianEpsilon(labelled.gaussian, entry.budget.delta)) +
        (labelled.other ?? []).reduce((total, o) => total + o.epsilon, 0),
      delta: entry.budget.delta,
    }));
  }

  /**
   * Spends an arbitrary (ε, δ)-DP release, or throws `PrivacyBudgetExceededError`. With a `label` it is also
   * recorded under it, for `spentByLabel`.
   */
  spendEpsilonDelta(datasetId: string, spend: PrivacySpend, label?: string): PrivacySpend {
    checkEpsilon(spend.epsilon);
    if (!(spend.delta >= 0 && spend.delta < 1))
      throw new InvalidPrivacyParameterError("delta", spend.delta, "must be in [0, 1)");
    const entry = this.entry(datasetId);
    const release = { epsilon: spend.epsilon, delta: spend.delta };
    let next: DatasetEntry = { ...entry, other: [...entry.other, release] };
    if (label !== undefined)
      next = withLabel(next, label, { other: [...(entry.byLabel?.[label]?.other ?? []), release] });
    const epsilon = this.assertWithin(datasetId, next);
    this.datasets.set(datasetId, next);
    return { epsilon, delta: next.budget.delta };
  }

  toJSON(): PrivacyBudgetLedgerState {
    const datasets: Record<string, DatasetEntry> = {};
    for (const [id, entry] of this.datasets) {
      datasets[id] = {
        budget: { ...entry.budget },
        gaussian: entry.gaussian.map((g) => ({ ...g })),
        other: entry.other.map((o) => ({ ...o })),
        ...(entry.byLabel === undefined ? {} : { byLabel: structuredClone(entry.byLabel) }),
      };
    }
    return { version: 1, accountant: this.accountant, datasets };
  }

  static fromJSON(state: unknown): PrivacyBudgetLedger {
    const parsed = parseInput(PrivacyBudgetLedgerStateSchema, state, "PrivacyBudgetLedgerState");
    const ledger = new PrivacyBudgetLedger({ accountant: parsed.accountant });
    for (const [id, entry] of Object.entries(parsed.datasets)) ledger.datasets.set(id, entry);
    return ledger;
  }

  private entry(datasetId: string): DatasetEntry {
    const entry = this.datasets.get(datasetId);
    if (entry === undefined) throw new UnknownDatasetBudgetError(datasetId);
    return entry;
  }

  private withGaussian(entry: DatasetEntry, steps: GaussianSteps): DatasetEntry {
    checkNoiseMultiplier(steps.noiseMultiplier);
    checkSampleRate(steps.sampleRate);
    checkSteps(steps.count, "count");
    const history = GaussianStepHistory.from(entry.gaussian);
    history.add(steps.noiseMultiplier, steps.sampleRate, steps.count);
    return { ...entry, gaussian: [...history.entries()] };
  }

  /** ε spent at the budget's δ, or +∞ when the other mechanisms' δ already exhaust it. */
  private epsilonOf(entry: DatasetEntry): number {
    const otherEpsilon = entry.other.reduce((total, o) => total + o.epsilon, 0);
    const otherDelta = entry.other.reduce((total, o) => total + o.delta, 0);
    if (entry.gaussian.length === 0) return otherDelta <= entry.budget.delta ? otherEpsilon : Number.POSITIVE_INFINITY;
    const accountantDelta = entry.budget.delta - otherDelta;
    if (!(accountantDelta > 0)) return Number.POSITIVE_INFINITY;
    return this.gaussianEpsilon(entry.gaussian, accountantDelta) + otherEpsilon;
  }

  /** ε of `steps` composed by the ledger's accountant at δ. */
  private gaussianEpsilon(steps: readonly GaussianSteps[], delta: number): number {
    const history = GaussianStepHistory.from(steps);
    const accountant = this.accountant === "prv" ? new PrvAccountant({}, history) : new RdpAccountant({}, history);
    return accountant.getEpsilon(checkDelta(delta)).epsilon;
  }

  private assertWithin(datasetId: string, entry: DatasetEntry): number {
    const epsilon = this.epsilonOf(entry);
    if (!(epsilon <= entry.budget.epsilon)) {
      throw new PrivacyBudgetExceededError(datasetId, entry.budget, { epsilon, delta: entry.budget.delta });
    }
    return epsilon;
  }
}
