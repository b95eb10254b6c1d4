import { z } from "zod";
import { JobIdSchema, RoundSchema } from "./ids.js";

/**
 * The coordinator's read-only socket.io channel for people who watch jobs (a researcher's page, an auditor's):
 * a socket.io server of its own at `WATCH_PATH`, apart from the trainers' (whose handshake needs a dataset owner's
 * sign-in). A client connects with a session token (`POST /auth/siwe`) as its handshake `auth`, asks to `watch` a job
 * and is told, by `job:changed`, each time that job's state moves; it then reads the public REST routes (the job,
 * its rounds, its ledger). Nothing is sent to the coordinator but the token and the job ids watched.
 */
export const WATCH_PATH = "/watch.io";

export const WATCH_EVENTS = {
  /** Client → server, acknowledged (`Ack`): start receiving a job's changes. */
  watch: "watch",
  /** Client → server, acknowledged: stop. */
  unwatch: "unwatch",
  /** Server → client: a watched job moved (`JobChange`). */
  changed: "job:changed",
} as const;

/** The handshake's `auth`: the bearer token of a session (any signed-in account may watch). */
export const WatchAuthSchema = z.strictObject({ token: z.string().min(1).max(4096) });
export type WatchAuth = z.infer<typeof WatchAuthSchema>;

/** `watch` and `unwatch`: which job. */
export const WatchRequestSchema = z.strictObject({ jobId: JobIdSchema });
export type WatchRequest = z.infer<typeof WatchRequestSchema>;

/**
 * What moved: a round opened, closed or finished, a trainer answered, an anchor or payout settled, the job's status
 * message changed (why its next round cannot start yet), the job ended.
 */
export const JobChangeKindSchema = z.enum([
  "round-opened",
  "round-closed",
  "round-finished",
  "answer",
  "chain",
  "status",
  "ended",
]);
export type JobChangeKind = z.infer<typeof JobChangeKindSchema>;

/** `job:changed`: the job and what moved (the round when one did). */
export const JobChangeSchema = z.strictObject({
  jobId: JobIdSchema,
  what: JobChangeKindSchema,
  round: RoundSchema.optional(),
});
export type JobChange = z.infer<typeof JobChangeSchema>;
