import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";
import { logContext } from "./log-context.js";
import { REDACTED, REDACTED_PATHS, secretScrubber } from "./redaction.js";

/** `json`: one JSON object per line. `pretty`: coloured lines for a person. `auto`: pretty on a terminal, else JSON. */
export const LOG_FORMATS = ["auto", "json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** The service's name, in every line (`coordinator`, `provider`, `router`, `trainer`). */
  readonly service: string;
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Values never to be written (keys, session secrets, tokens), replaced wherever they would appear. */
  readonly secrets?: readonly string[];
  /**
   * `stdout` (default) or `stderr`: a command whose stdout is its result (`--json`) logs to stderr. Ignored when a
   * `destination` is given.
   */
  readonly stream?: "stdout" | "stderr";
  /** Where JSON lines go instead (tests read them). */
  readonly destination?: DestinationStream;
  /** Whether output goes to a terminal, for `auto` (default: whether the stream is a TTY). */
  readonly terminal?: boolean;
}

/**
 * A pino logger for a service: JSON lines (or pretty ones on a terminal) with ISO timestamps, the service's name,
 * the identifiers of the current log context (request, job, round, trainer: `withLogContext`), secrets censored
 * by path (headers, keys, tokens, signatures) and, in the serialised line, by value and by shape.
 */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? "auto";
  const fd = options.stream === "stderr" ? 2 : 1;
  const terminal = options.terminal ?? (fd === 2 ? process.stderr : process.stdout).isTTY === true;
  const scrub = secretScrubber(options.secrets ?? []);
  const settings = {
    level: options.level ?? "info",
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => ({ ...logContext() }),
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    hooks: { streamWrite: scrub },
  };
  if (format === "pretty" || (format === "auto" && terminal)) {
    // In process and synchronous (no worker thread): the line is scrubbed before pino-pretty reads it.
    return pino(
      settings,
      pretty({
        destination: options.destination ?? fd,
        colorize: terminal,
        sync: true,
        ignore: "pid,hostname,service",
      }),
    );
  }
  return pino(settings, options.destination ?? pino.destination({ dest: fd, sync: true }));
}
