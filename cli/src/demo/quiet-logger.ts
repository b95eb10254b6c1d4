import type { LoggerService } from "@nestjs/common";

/** Coordinator log lines that matter to someone watching the demo: warnings and errors. */
export function quietLogger(note: (text: string) => void): LoggerService {
  return {
    log: () => {},
    debug: () => {},
    verbose: () => {},
    warn: (message: unknown, context?: unknown) =>
      note(`  coordinator ${context === undefined ? "" : `[${String(context)}] `}warning: ${String(message)}`),
    error: (message: unknown, context?: unknown) =>
      note(`  coordinator ${context === undefined ? "" : `[${String(context)}] `}error: ${String(message)}`),
  };
}
