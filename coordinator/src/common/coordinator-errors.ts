import { TributaryError } from "@tributary/protocol";

export class NotFoundError extends TributaryError {
  constructor(what: string, id: string) {
    super("NOT_FOUND", `${what} ${id} does not exist`, { details: { what, id } });
  }
}

export class ConflictError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("CONFLICT", message, { details });
  }
}
