import { type ErrorDetails, TributaryError } from "@tributary/protocol";

/**
 * A trainer refuses a coordinator's request that would break the protocol's guarantee (e.g. both secrets of one
 * neighbour, a forged key advertisement, too few neighbours left). Code `SECAGG_REFUSED`.
 */
export class SecAggRefusedError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("SECAGG_REFUSED", message, { details });
  }
}

/** The round cannot finish: too few trainers or shares to go on. Code `SECAGG_ABORTED`. */
export class SecAggAbortedError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("SECAGG_ABORTED", message, { details });
  }
}

/** A message out of order, from the wrong trainer, or inconsistent with the round. Code `SECAGG_BAD_MESSAGE`. */
export class SecAggMessageError extends TributaryError {
  constructor(message: string, details: ErrorDetails = {}) {
    super("SECAGG_BAD_MESSAGE", message, { details });
  }
}
