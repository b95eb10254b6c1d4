import { AddressSchema, parseInput } from "@tributary/protocol";
import { AbiCoder, id, keccak256 } from "ethers";
import { z } from "zod";
import type { ChainSession, DeployedContract } from "../chain/chain-session.js";
import { RefusedError } from "../chain/run-command.js";

/** Most blocks one `eth_getLogs` spans while scanning for proposals (public RPCs refuse wide ranges). */
const LOG_RANGE = 10_000;

/**
 * The proposal id `Governor.hashProposal` gives: `uint256(keccak256(abi.encode(targets, values, calldatas,
 * descriptionHash)))`, computed here to check what the events say.
 */
export function proposalIdOf(
  targets: readonly string[],
  values: readonly bigint[],
  calldatas: readonly string[],
  descriptionHash: string,
): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["address[]", "uint256[]", "bytes[]", "bytes32"],
    [targets, values, calldatas, descriptionHash],
  );
  return BigInt(keccak256(encoded));
}

const uint = z.bigint().nonnegative();

/**
 * `ProposalCreated` as ethers decodes it, parsed (chain events are a boundary): the three arrays line up, and the
 * id is the hash of the proposal's parts, so queue and execute can be rebuilt from the event alone.
 */
const ProposalCreatedSchema = z
  .object({
    proposalId: uint,
    proposer: AddressSchema,
    targets: z.array(AddressSchema),
    values: z.array(uint),
    calldatas: z.array(z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be hex bytes")),
    voteStart: uint,
    voteEnd: uint,
    description: z.string(),
  })
  .transform((event) => ({ ...event, descriptionHash: id(event.description) }))
  .refine(
    (event) => event.targets.length === event.values.length && event.targets.length === event.calldatas.length,
    "targets, values and calldatas must have one entry per call",
  )
  .refine(
    (event) => proposalIdOf(event.targets, event.values, event.calldatas, event.descriptionHash) === event.proposalId,
    "proposalId must be the hash of the proposal's targets, values, calldatas and description",
  );

/** A proposal as its `ProposalCreated` event recorded it: all that queue and execute need (nothing is stored). */
export type ProposalRecord = z.output<typeof ProposalCreatedSchema> & {
  readonly blockNumber: number;
  readonly transactionHash: string;
};

type Governor = DeployedContract<"TributaryGovernor">;

/** Every proposal made on the deployment's governor, oldest first, from its `ProposalCreated` events. */
export async function readProposals(chain: ChainSession, governor: Governor): Promise<ProposalRecord[]> {
  const { deployment } = await chain.deployment();
  const latest = await chain.provider.getBlockNumber();
  const records: ProposalRecord[] = [];
  for (let from = deployment.startBlock; from <= latest; from += LOG_RANGE) {
    const to = Math.min(latest, from + LOG_RANGE - 1);
    for (const event of await governor.queryFilter(governor.filters.ProposalCreated(), from, to)) {
      // By position: a `Result`'s `values` is Array.prototype.values, not the event's field.
      const [proposalId, proposer, targets, values, , calldatas, voteStart, voteEnd, description] = event.args;
      const parsed = parseInput(
        ProposalCreatedSchema,
        {
          proposalId,
          proposer,
          targets: [...targets],
          values: [...values],
          calldatas: [...calldatas],
          voteStart,
          voteEnd,
          description,
        },
        `ProposalCreated in transaction ${event.transactionHash}`,
      );
      records.push({ ...parsed, blockNumber: event.blockNumber, transactionHash: event.transactionHash });
    }
  }
  return records;
}

/** No proposal has this id on the deployment's governor. */
export function unknownProposal(proposalId: bigint, governor: string): RefusedError {
  return new RefusedError(
    "PROPOSAL_UNKNOWN",
    `no proposal ${proposalId} on the governor ${governor} (\`tributary gov list\` lists the proposals)`,
    { proposalId, governor },
  );
}

/** The proposal `proposalId`, from its event; `PROPOSAL_UNKNOWN` when the governor has none by that id. */
export async function findProposal(chain: ChainSession, governor: Governor, proposalId: bigint) {
  const address = (await governor.getAddress()).toLowerCase();
  if ((await governor.proposalSnapshot(proposalId)) === 0n) throw unknownProposal(proposalId, address);
  const record = (await readProposals(chain, governor)).find((proposal) => proposal.proposalId === proposalId);
  if (record === undefined) throw unknownProposal(proposalId, address);
  return record;
}

/** A proposal id as typed: decimal (as the governor and explorers show it) or 0x hex. */
export const ProposalIdSchema = z
  .string()
  .regex(/^(\d{1,78}|0x[0-9a-fA-F]{1,64})$/, "must be a proposal id (decimal, or 0x hex)")
  .transform((text) => BigInt(text))
  .refine((value) => value < 1n << 256n, "must fit in uint256");
