import { loadDeployment } from "@tributary/contracts/deployments";
import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";

/** Where the TrainingJobs address a report used came from: an auditor trusts `ledger` least. */
export type TrainingJobsSource = "option" | "deployment" | "ledger";

export interface ResolvedTrainingJobs {
  readonly address: string;
  readonly source: TrainingJobsSource;
  /** Human-readable origin, e.g. `--training-jobs` or the deployment file's path. */
  readonly from: string;
}

/**
 * The TrainingJobs contract to audit against: `--training-jobs` when given, else the deployment file for the
 * RPC's chain id (`@tributary/contracts/deployments`), else the address the ledger itself names — the last is
 * the coordinator's word, and a report says so. A deployment file that exists but does not parse is an error.
 */
export async function resolveTrainingJobs(input: {
  readonly option?: string | undefined;
  readonly chainId: bigint;
  /** The address the job's ledger names (asked only when neither of the others gives one). */
  readonly ledgerAddress: () => Promise<string>;
  /** Directory of `<chainId>.json` deployment files; default: the contracts package's. */
  readonly deploymentsDir?: URL;
}): Promise<ResolvedTrainingJobs> {
  if (input.option !== undefined) {
    return {
      address: parseInput(AddressSchema, input.option, "--training-jobs"),
      source: "option",
      from: "--training-jobs",
    };
  }
  try {
    const deployment = await loadDeployment(input.chainId, input.deploymentsDir);
    return {
      address: deployment.contracts.TrainingJobs,
      source: "deployment",
      from: `deployment file for chain ${input.chainId}`,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new TributaryError(
        "INVALID_INPUT",
        `the deployment file for chain ${input.chainId} is unusable: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return {
    address: await input.ledgerAddress(),
    source: "ledger",
    from: `the ledger itself (no deployment file for chain ${input.chainId}; pass --training-jobs to check against an address you trust)`,
  };
}
