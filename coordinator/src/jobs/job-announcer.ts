/**
 * The port through which jobs tell the trainers serving a dataset that a job opened or closed. The trainer
 * gateway implements it; the jobs module only knows this token.
 */
export interface JobAnnouncer {
  /** Sends an event to every online trainer serving one of `datasetIds`. */
  sendToDatasets(datasetIds: readonly string[], event: string, ...payload: unknown[]): void;
}

export const JOB_ANNOUNCER = Symbol("JOB_ANNOUNCER");
