import type { C2dAlgorithm, DataShape } from "./algorithms/c2d-algorithm.js";
import { C2dRefusalError } from "./c2d-refusal.js";

/** The owner's terms on what leaves the node. */
export interface OutputPolicy {
  /**
   * The fewest records per cell the output reports on (a histogram's bins, the intervals between quantiles, a
   * filtered count's two sides), on average over the public record count: n ≥ cells · minRecordsPerCell.
   */
  readonly minRecordsPerCell: number;
  /** The most ε one run may cost on its own. */
  readonly maxEpsilonPerRun: number;
}

/**
 * Before anything is charged or read: the output may be no finer than the owner allows. The decision depends only
 * on the parameters and the public record count (the manifest's), never on the records, so it leaks nothing.
 * Cells of one record or fewer are record-level output and are refused as such.
 */
export function checkGranularity<P>(
  algorithm: C2dAlgorithm<P>,
  params: P,
  shape: DataShape,
  policy: OutputPolicy,
): void {
  const cells = algorithm.cells(params, shape);
  const most = Math.floor(shape.records / policy.minRecordsPerCell);
  if (cells <= most) return;
  const perCell = shape.records / cells;
  const what = perCell <= 1 ? "record-level output" : "output finer than this node lets out";
  throw new C2dRefusalError(
    "C2D_OUTPUT_POLICY",
    `${algorithm.name} would report on ${cells} cells of ${shape.records} records (${perCell.toFixed(2)} records per cell): ${what}; the owner requires at least ${policy.minRecordsPerCell} records per cell, so at most ${most} cells`,
    {
      stage: "before-run",
      cells,
      records: shape.records,
      minRecordsPerCell: policy.minRecordsPerCell,
      mostCells: most,
    },
  );
}

/** Before anything is charged: the run's own ε within the owner's per-run cap. */
export function checkEpsilonCap(algorithm: string, epsilon: number, policy: OutputPolicy): void {
  if (epsilon <= policy.maxEpsilonPerRun) return;
  throw new C2dRefusalError(
    "C2D_EPSILON_ABOVE_CAP",
    `${algorithm} would cost ε ${epsilon} in one run; this node allows at most ε ${policy.maxEpsilonPerRun} per run`,
    { epsilon, maxEpsilonPerRun: policy.maxEpsilonPerRun },
  );
}

/**
 * After the run, before anything leaves: the output must be exactly the aggregate the parameters declare (its
 * fields, sizes and ranges, finite numbers; nothing else). Anything else (a record, a field more, an array longer
 * than declared) stays inside, and the run is refused naming the first differences.
 */
export function checkOutput<P>(
  algorithm: C2dAlgorithm<P>,
  params: P,
  shape: DataShape,
  output: unknown,
): Record<string, unknown> {
  const parsed = algorithm.output(params, shape).safeParse(output);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `output${issue.path.map((key) => `.${String(key)}`).join("")}: ${issue.message}`);
  throw new C2dRefusalError(
    "C2D_OUTPUT_POLICY",
    `${algorithm.name}'s output is not the aggregate its parameters declare, so it does not leave the node: ${issues.join("; ")}`,
    { stage: "after-run", issues },
  );
}
