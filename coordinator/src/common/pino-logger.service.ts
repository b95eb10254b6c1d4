import type { LoggerService } from "@nestjs/common";
import type { Logger } from "pino";

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * Nest's `LoggerService` over a pino logger: every `new Logger("driver").log(…)` of the application becomes one
 * structured line, its Nest context as `context`, the identifiers of the current log context (request, job, round,
 * trainer) mixed in by the logger. An object message's fields become the line's fields (its `msg` the message).
 */
export class PinoLoggerService implements LoggerService {
  readonly #pino: Logger;

  constructor(pino: Logger) {
    this.#pino = pino;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.#write("info", message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.#write("error", message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.#write("warn", message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.#write("debug", message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.#write("trace", message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.#write("fatal", message, rest);
  }

  /** Nest passes `(message, context)`, and for errors `(message, stack, context)`. */
  #write(level: Level, message: unknown, rest: unknown[]): void {
    const strings = rest.filter((part): part is string => typeof part === "string");
    const context = strings.length > 0 ? strings.at(-1) : undefined;
    const stack = level === "error" && strings.length > 1 ? strings[0] : undefined;
    const fields: Record<string, unknown> = {
      ...(context === undefined ? {} : { context }),
      ...(stack === undefined ? {} : { stack }),
    };
    if (message instanceof Error) {
      this.#pino[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === "object" && message !== null) {
      const { msg, ...own } = message as Record<string, unknown>;
      this.#pino[level]({ ...fields, ...own }, typeof msg === "string" ? msg : "");
    } else {
      this.#pino[level](fields, String(message));
    }
  }
}
