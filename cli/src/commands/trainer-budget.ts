import { TributaryError, toFixed18 } from "@tributary/protocol";

/** (ε, δ) a dataset may spend in all, across every job. */
export interface Budget {
  readonly epsilon: number;
  readonly delta: number;
}

/** A dataset's budget on DatasetRegistry: as numbers, and as stored (18-decimal fixed point), which flags are held to. */
export interface EnrolledBudget extends Budget {
  readonly epsilonFixed: bigint;
  readonly deltaFixed: bigint;
}

/** The owner's budget when no enrolment states one (off-chain, without `--rpc`). */
export const OFF_CHAIN_BUDGET: Budget = { epsilon: 10, delta: 1e-5 };

/** An explicit `--budget-epsilon`/`--budget-delta` above what the dataset enrolled on DatasetRegistry. */
export class BudgetAboveEnrolmentError extends TributaryError {
  constructor(datasetId: string, flag: string, asked: number, enrolled: EnrolledBudget) {
    super(
      "BUDGET_ABOVE_ENROLMENT",
      `${flag} ${asked} is more than dataset ${datasetId} enrolled on DatasetRegistry (ε ${enrolled.epsilon}, δ ${enrolled.delta}): the trainer may enforce a smaller budget, never a larger one (omit ${flag} to enforce the enrolled one)`,
      { details: { datasetId, flag, asked, enrolled: { epsilon: enrolled.epsilon, delta: enrolled.delta } } },
    );
  }
}

/**
 * The budget the trainer agent enforces. With a chain (`enrolled`: the dataset's ε and δ on DatasetRegistry), the
 * enrolled budget, or the owner's `--budget-epsilon`/`--budget-delta` where given, which may be smaller and are
 * refused when larger. Without one, the flags or `OFF_CHAIN_BUDGET`.
 */
export function trainerBudget(
  datasetId: string,
  flags: { readonly epsilon?: number | undefined; readonly delta?: number | undefined },
  enrolled: EnrolledBudget | undefined,
): Budget {
  if (enrolled === undefined) {
    return { epsilon: flags.epsilon ?? OFF_CHAIN_BUDGET.epsilon, delta: flags.delta ?? OFF_CHAIN_BUDGET.delta };
  }
  // Compared as the registry stores them, so the enrolled value typed back is never "more" by a rounding.
  if (flags.epsilon !== undefined && toFixed18(flags.epsilon) > enrolled.epsilonFixed) {
    throw new BudgetAboveEnrolmentError(datasetId, "--budget-epsilon", flags.epsilon, enrolled);
  }
  if (flags.delta !== undefined && toFixed18(flags.delta) > enrolled.deltaFixed) {
    throw new BudgetAboveEnrolmentError(datasetId, "--budget-delta", flags.delta, enrolled);
  }
  return { epsilon: flags.epsilon ?? enrolled.epsilon, delta: flags.delta ?? enrolled.delta };
}
