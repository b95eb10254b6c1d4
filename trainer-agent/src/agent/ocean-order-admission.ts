import { checkOceanOrder, findOceanDataset, type OceanAddresses } from "@tributary/contracts/ocean";
import { connectTrainingJobs } from "@tributary/contracts/typed";
import type { JobId, JobSpec } from "@tributary/protocol";
import type { Provider } from "ethers";
import { type JobAdmission, JobRefusedError } from "./job-admission.js";

export interface OceanOrderAdmissionOptions {
  /** Reads the chain. */
  readonly provider: Provider;
  /** Ocean Protocol's contracts on the chain (the owner's deployment file's `ocean`). */
  readonly ocean: OceanAddresses;
  readonly trainingJobs: string;
  readonly datasetRegistry: string;
  /** The owner's dataset on DatasetRegistry. */
  readonly datasetId: string;
}

/**
 * The owner's terms when its dataset is published on Ocean Protocol: on top of the on-chain terms (`inner`), the
 * job's researcher (read from TrainingJobs, not from the coordinator) must hold a valid order of the dataset's
 * compute datatoken, checked on chain (`findOceanDataset`, `checkOceanOrder`) every time the agent is about to read
 * a record (each `admit`: the join and every instruction), since an order expires with the service's timeout.
 * Refused with `OCEAN_ORDER_MISSING`, before any record is read or any privacy budget charged. A dataset not
 * published on Ocean adds nothing.
 */
export class OceanOrderAdmission implements JobAdmission {
  readonly #researchers = new Map<JobId, string>();
  readonly description: string;

  constructor(
    private readonly inner: JobAdmission,
    private readonly options: OceanOrderAdmissionOptions,
  ) {
    this.description = `${inner.description}; when dataset ${options.datasetId} is published on Ocean (ERC721Factory ${options.ocean.ERC721Factory}), the job's researcher must hold a valid datatoken order, checked on chain before every round`;
  }

  get chainId(): number | undefined {
    return this.inner.chainId;
  }

  get trainingJobs(): string | undefined {
    return this.inner.trainingJobs;
  }

  async admit(jobId: JobId): Promise<void> {
    await this.inner.admit(jobId);
    const { provider, ocean, datasetId } = this.options;
    const found = await findOceanDataset({ provider, ocean, datasetRegistry: this.options.datasetRegistry, datasetId });
    if (found.kind === "none") return;
    if (found.kind === "invalid") {
      throw new JobRefusedError(
        jobId,
        `dataset ${datasetId} is published on Ocean (data NFT ${found.nft}) but its orders cannot be checked: ${found.reason}`,
        { nft: found.nft },
        "OCEAN_ORDER_MISSING",
      );
    }
    const researcher = await this.#researcher(jobId);
    const order = await checkOceanOrder({
      provider,
      dataset: found.dataset,
      consumer: researcher,
      fromBlock: ocean.startBlock,
    });
    if (!order.valid) {
      throw new JobRefusedError(
        jobId,
        `dataset ${datasetId} is published on Ocean as ${found.dataset.did} and the job's researcher has no valid order: ${order.reason}`,
        { did: found.dataset.did, datatoken: found.dataset.datatoken, researcher },
        "OCEAN_ORDER_MISSING",
      );
    }
  }

  checkSpec(jobId: JobId, spec: JobSpec): Promise<void> {
    return this.inner.checkSpec(jobId, spec);
  }

  /** The job's researcher on TrainingJobs (set once at creation: cached). */
  async #researcher(jobId: JobId): Promise<string> {
    const known = this.#researchers.get(jobId);
    if (known !== undefined) return known;
    const job = await connectTrainingJobs(this.options.trainingJobs, this.options.provider).getJob(BigInt(jobId));
    const researcher = job.researcher.toLowerCase();
    this.#researchers.set(jobId, researcher);
    return researcher;
  }
}
