import { z } from "zod";
import { AddressSchema, Bytes32Schema } from "./ids.js";
import { parseInput } from "./parse.js";

const UINT256_MAX = (1n << 256n) - 1n;
/** PostgreSQL `integer`: where the coordinator keeps rounds, round numbers and fee basis points. */
const INT32_MAX = 2n ** 31n - 1n;

/** A decoded `uint256` (ethers gives a bigint), kept as its exact decimal string. */
const uint256 = z
  .bigint()
  .nonnegative()
  .max(UINT256_MAX, "must fit in uint256")
  .transform((value) => value.toString());
/** A decoded `uint256` that counts something small (rounds, basis points): a number. */
const smallUint = z
  .bigint()
  .nonnegative()
  .max(INT32_MAX, "must be at most 2^31 − 1")
  .transform((value) => Number(value));

/**
 * The arguments of every DatasetRegistry and TrainingJobs event the coordinator applies, as ethers decodes them
 * (uint256 as bigint, address and bytes32 as hex strings). Parsed, they come out in the form the coordinator
 * stores: uint256 as decimal strings, addresses and hashes in lower case, counts as numbers.
 */
export const CHAIN_EVENT_ARGS = {
  DatasetRegistered: z.object({
    datasetId: uint256,
    owner: AddressSchema,
    commitment: Bytes32Schema,
    metadataURI: z.string(),
    pricePerRound: uint256,
    epsilon: uint256,
    delta: uint256,
  }),
  DatasetUpdated: z.object({
    datasetId: uint256,
    commitment: Bytes32Schema,
    metadataURI: z.string(),
    pricePerRound: uint256,
    epsilon: uint256,
    delta: uint256,
  }),
  DatasetDeactivated: z.object({ datasetId: uint256 }),
  DatasetTransferred: z.object({ datasetId: uint256, previousOwner: AddressSchema, newOwner: AddressSchema }),
  JobCreated: z.object({
    jobId: uint256,
    researcher: AddressSchema,
    coordinator: AddressSchema,
    paymentToken: AddressSchema,
    modelSpecHash: Bytes32Schema,
    datasetIds: z.array(uint256),
    rounds: smallUint,
    reward: uint256,
    feeBps: smallUint,
  }),
  JobAccepted: z.object({ jobId: uint256, coordinator: AddressSchema, staleAt: uint256 }),
  RoundAnchored: z.object({ jobId: uint256, round: smallUint, updatesRoot: Bytes32Schema, modelHash: Bytes32Schema }),
  JobFinalized: z.object({
    jobId: uint256,
    payoutRoot: Bytes32Schema,
    payoutTotal: uint256,
    fee: uint256,
    claimDeadline: uint256,
  }),
  JobCancelled: z.object({ jobId: uint256, refund: uint256 }),
} as const;

export type ChainEventName = keyof typeof CHAIN_EVENT_ARGS;

/** A parsed chain event: its name and its typed arguments. */
export type ChainEvent = {
  [Name in ChainEventName]: { readonly name: Name; readonly args: z.output<(typeof CHAIN_EVENT_ARGS)[Name]> };
}[ChainEventName];

/** Whether the coordinator applies events of this name (claims, reclaims, role and parameter events: no). */
export function isAppliedChainEvent(name: string): name is ChainEventName {
  return Object.hasOwn(CHAIN_EVENT_ARGS, name);
}

/**
 * Parses a decoded event's arguments (by parameter name) with its schema. Throws `InvalidInputError` naming the
 * event and the field, e.g. `invalid JobCreated event: JobCreated event.rounds: must be at most 2^31 − 1`.
 */
export function parseChainEvent<Name extends ChainEventName>(
  name: Name,
  args: Readonly<Record<string, unknown>>,
): Extract<ChainEvent, { name: Name }> {
  const schema: z.ZodType = CHAIN_EVENT_ARGS[name];
  return { name, args: parseInput(schema, args, `${name} event`) } as Extract<ChainEvent, { name: Name }>;
}
