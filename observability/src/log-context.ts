import { AsyncLocalStorage } from "node:async_hooks";

/** Identifiers a log line carries from where it was written: `requestId`, `jobId`, `round`, `trainer`, … */
export type LogFields = Readonly<Record<string, string | number>>;

const storage = new AsyncLocalStorage<LogFields>();

/**
 * Runs `run` with `fields` added to the identifiers of every line logged inside it, however deep and however
 * asynchronous (Node's `AsyncLocalStorage`): an HTTP request's id, the job and round a driver advances, the trainer
 * a socket event came from. Nested contexts add to the outer one.
 */
export function withLogContext<T>(fields: LogFields, run: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, run);
}

/** The identifiers of the current context (empty outside any). */
export function logContext(): LogFields {
  return storage.getStore() ?? {};
}
