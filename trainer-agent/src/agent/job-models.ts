import type * as tfl from "@tensorflow/tfjs-layers";
import { buildModel } from "@tributary/model-runtime";
import type { JobId, JobSpec } from "@tributary/protocol";
import type { CoordinatorApi } from "./coordinator-api.js";
import type { JobAdmission } from "./job-admission.js";

/** A job's spec, as the coordinator served it and the owner's admission checked it, and the model built from it. */
export interface JobModel {
  readonly spec: JobSpec;
  readonly model: tfl.Sequential;
}

/**
 * The models of the jobs the agent takes part in, one per job, built once from the job spec. A spec other than the
 * one the job's terms commit to (`JobAdmission.checkSpec`) is refused before it is used for anything.
 */
export class JobModels {
  readonly #models = new Map<JobId, JobModel>();

  constructor(
    private readonly api: CoordinatorApi,
    private readonly admission: JobAdmission,
  ) {}

  async get(jobId: JobId): Promise<JobModel> {
    let entry = this.#models.get(jobId);
    if (entry === undefined) {
      const spec = await this.api.jobSpec(jobId);
      await this.admission.checkSpec(jobId, spec);
      entry = { spec, model: buildModel(spec.model) };
      this.#models.set(jobId, entry);
    }
    return entry;
  }

  /** Frees a closed job's model. */
  drop(jobId: JobId): void {
    this.#models.get(jobId)?.model.dispose();
    this.#models.delete(jobId);
  }

  /** Frees every model (the agent stops). */
  clear(): void {
    for (const { model } of this.#models.values()) model.dispose();
    this.#models.clear();
  }
}
