import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import { type DeploymentContext, findDeployment } from "../chain/deployment.js";

/**
 * Where the TrainingJobs address came from. `ledger` (the coordinator's word) only when the user asked for it
 * with `--trust-coordinator-address`, and only for `ledger verify`: it never picks the contract a claim is sent to.
 */
export type TrainingJobsSource = "option" | "deployment" | "ledger";

export interface ResolvedTrainingJobs {
  readonly address: string;
  readonly source: TrainingJobsSource;
  /** Human-readable origin, e.g. `--training-jobs` or the deployment file's path. */
  readonly from: string;
}

/** No flag and no deployment file gives the address, and the coordinator's is not to be taken. */
class TrainingJobsUnknownError extends TributaryError {
  constructor(chainId: bigint, hint: string) {
    super(
      "TRAINING_JOBS_UNKNOWN",
      `no TrainingJobs address for chain ${chainId}: no deployment file ${chainId}.json; pass --training-jobs <address> or --deployment <file>${hint} (the coordinator's word is not taken for the contract)`,
      { details: { chainId: String(chainId) } },
    );
  }
}

/**
 * The TrainingJobs contract to use, from what the user trusts: `--training-jobs` when given, else the deployment
 * file `--deployment`, else the deployment file for the RPC's chain id (`contracts/deployments/<chainId>.json`;
 * see `findDeployment`). The address a coordinator reports is taken only when `ledgerAddress` is given (`ledger
 * verify --trust-coordinator-address`), and the report says so; otherwise `TrainingJobsUnknownError`.
 */
export async function resolveTrainingJobs(
  input: DeploymentContext & {
    readonly option?: string | undefined;
    /** `--deployment <file>`. */
    readonly deployment?: string | undefined;
    readonly chainId: bigint;
    /** The address the job's ledger names: only when the user said to trust the coordinator for it. */
    readonly ledgerAddress?: (() => Promise<string>) | undefined;
    /** Appended to the "no address" error, e.g. the flag that would accept the coordinator's. */
    readonly hint?: string;
  },
): Promise<ResolvedTrainingJobs> {
  if (input.option !== undefined) {
    return {
      address: parseInput(AddressSchema, input.option, "--training-jobs"),
      source: "option",
      from: "--training-jobs",
    };
  }
  const found = await findDeployment(input.deployment, input.chainId, input);
  if (found !== undefined) {
    return {
      address: found.deployment.contracts.TrainingJobs,
      source: "deployment",
      from: input.deployment ?? `deployment file for chain ${input.chainId}`,
    };
  }
  if (input.ledgerAddress === undefined) throw new TrainingJobsUnknownError(input.chainId, input.hint ?? "");
  return {
    address: parseInput(AddressSchema, await input.ledgerAddress(), "the ledger's trainingJobs"),
    source: "ledger",
    from: `the coordinator's ledger (--trust-coordinator-address; no deployment file for chain ${input.chainId})`,
  };
}
