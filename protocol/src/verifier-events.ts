import { z } from "zod";
import { AddressSchema, Bytes32Schema } from "./ids.js";
import { parseInput } from "./parse.js";

const UINT256_MAX = (1n << 256n) - 1n;
const uint256 = z.bigint().nonnegative().max(UINT256_MAX, "must fit in uint256");

/**
 * The OptimisticVerifier events that providers, buyers, challengers and committee members act on, as ethers decodes
 * them (uint256 as bigint, addresses and hashes as hex). Parsed: amounts and ids stay bigints, addresses and hashes
 * come out in lower case.
 */
export const VERIFIER_EVENT_ARGS = {
  TaskCreated: z.object({
    taskId: uint256,
    requester: AddressSchema,
    provider: AddressSchema,
    modelId: uint256,
    inputHash: Bytes32Schema,
    paymentToken: AddressSchema,
    payment: uint256,
    responseDeadline: uint256,
  }),
  ResultSubmitted: z.object({ taskId: uint256, responseHash: Bytes32Schema, disputeDeadline: uint256 }),
  Disputed: z.object({
    taskId: uint256,
    challenger: AddressSchema,
    alternativeResponseHash: Bytes32Schema,
    bond: uint256,
    proofVerifier: AddressSchema,
    resolutionDeadline: uint256,
  }),
} as const;

export type VerifierEventName = keyof typeof VERIFIER_EVENT_ARGS;
export type VerifierEventArgs<Name extends VerifierEventName> = z.output<(typeof VERIFIER_EVENT_ARGS)[Name]>;

/** Parses a decoded OptimisticVerifier event's arguments (by parameter name); errors name the event and the field. */
export function parseVerifierEvent<Name extends VerifierEventName>(
  name: Name,
  args: Readonly<Record<string, unknown>>,
): VerifierEventArgs<Name> {
  const schema: z.ZodType = VERIFIER_EVENT_ARGS[name];
  return parseInput(schema, args, `${name} event`) as VerifierEventArgs<Name>;
}

/**
 * Where a provider (and a buyer's request store) serves the canonical request bytes of a verifiable request by its
 * `requestHash`: `GET /v1/requests/:requestHash`, `application/octet-stream`; whoever fetches them checks that their
 * SHA-256 is the hash asked for.
 */
export const REQUESTS_PATH = "/v1/requests";

export const RequestHashParamsSchema = z.strictObject({ requestHash: Bytes32Schema });
