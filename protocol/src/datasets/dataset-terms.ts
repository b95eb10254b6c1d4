import { z } from "zod";

/**
 * A dataset's terms as a person types them (`tributary dataset enrol|update` flags, the portal's enrolment form):
 * parsed by the same schemas in both, so both accept and refuse the same values.
 */

/** A price as a person types it, in whole tokens: `5`, `0.25` or `0` (a dataset may be free). */
export const PriceSchema = z.string().regex(/^\d+(\.\d+)?$/, "must be an amount of tokens such as 5, 0.25 or 0");
/** ε > 0 (the registry refuses 0); large values are allowed but must fit the registry's uint128 fixed point. */
export const EpsilonSchema = z.coerce.number().positive().max(1e20).refine(Number.isFinite, "must be finite");
/** 0 < δ < 1: the trainer's privacy ledger needs a positive δ to account against. */
export const DeltaSchema = z.coerce.number().gt(0).lt(1);
