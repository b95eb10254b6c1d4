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

/** No valid session: the request carries no bearer token, or a bad or expired one (HTTP 401). */
export class UnauthenticatedError extends TributaryError {
  constructor(message: string) {
    super("UNAUTHENTICATED", message);
  }
}

/** Signed in, but not in the role the route needs (HTTP 403). */
export class ForbiddenError extends TributaryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("FORBIDDEN", message, { details });
  }
}

/** A request body larger than the configured maximum (HTTP 413). */
export class PayloadTooLargeError extends TributaryError {
  constructor(what: string, limit: number) {
    super("PAYLOAD_TOO_LARGE", `${what} is larger than ${limit} bytes`, { details: { limit } });
  }
}
