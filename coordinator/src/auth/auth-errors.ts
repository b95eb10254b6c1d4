import { TributaryError } from "@tributary/protocol";

/** A sign-in message that is not for this coordinator, stale, or replayed (HTTP 401). */
export class SignInRefusedError extends TributaryError {
  constructor(message: string) {
    super("SIGN_IN_REFUSED", message);
  }
}
