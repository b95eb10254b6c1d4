import { z } from "zod";
import { parseInput } from "./parse.js";

const UINT256_MAX = (1n << 256n) - 1n;
const uint256 = z.bigint().nonnegative().max(UINT256_MAX, "must fit in uint256");

/**
 * The events that record how verified results ended, as ethers decodes them (uint256 and uint8 as bigint): a task's
 * end on OptimisticVerifier (`TaskFinalized`: its outcome, by `IOptimisticVerifier.Outcome`'s value, and the stake
 * slashed), and what ModelRegistry made of it (`ModelSlashed`: the provider's stake taken for a lost dispute;
 * `ReputationUpdated`: the model's score after a correct or wrong result). Parsed, numbers stay bigints.
 */
export const VERIFICATION_OUTCOME_EVENT_ARGS = {
  TaskFinalized: z.object({ taskId: uint256, outcome: uint256.max(4n, "must be an Outcome (0–4)"), slashed: uint256 }),
  ModelSlashed: z.object({ modelId: uint256, fromModelStake: uint256, slashed: uint256, stakeLeft: uint256 }),
  ReputationUpdated: z.object({ modelId: uint256, correct: z.boolean(), reputationScore: uint256 }),
} as const;

export type VerificationOutcomeEventName = keyof typeof VERIFICATION_OUTCOME_EVENT_ARGS;
export type VerificationOutcomeEventArgs<Name extends VerificationOutcomeEventName> = z.output<
  (typeof VERIFICATION_OUTCOME_EVENT_ARGS)[Name]
>;

/** Parses a decoded outcome event's arguments (by parameter name); errors name the event and the field. */
export function parseVerificationOutcomeEvent<Name extends VerificationOutcomeEventName>(
  name: Name,
  args: Readonly<Record<string, unknown>>,
): VerificationOutcomeEventArgs<Name> {
  const schema: z.ZodType = VERIFICATION_OUTCOME_EVENT_ARGS[name];
  return parseInput(schema, args, `${name} event`) as VerificationOutcomeEventArgs<Name>;
}
