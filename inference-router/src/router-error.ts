import { TributaryError } from "@tributary/protocol";

/** Why the router refused an announcement or a request: a stable code, the HTTP status, a one-line message. */
export class RouterRefusedError extends TributaryError {
  constructor(
    code: string,
    readonly status: number,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { details });
  }
}
