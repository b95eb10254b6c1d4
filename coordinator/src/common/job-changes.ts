import type { JobChangeKind } from "@tributary/protocol";

/**
 * The port through which the round driver and the trainer gateway say a job moved, so that people watching it
 * (the web portal's job page) are told at once instead of polling. The watch gateway implements it; a coordinator
 * without it (a module test) tells nobody.
 */
export interface JobChanges {
  /** Job `jobId` moved (`what`, in `round` when a round did): protocol's `JobChange` as the watchers receive it. */
  changed(change: { readonly jobId: string; readonly what: JobChangeKind; readonly round?: number }): void;
}

export const JOB_CHANGES = Symbol("JOB_CHANGES");
