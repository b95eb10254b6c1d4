import { parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { formatToken } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { decodeCalls } from "../governance/call-decoder.js";
import { ProposalIdSchema, type ProposalRecord, unknownProposal } from "../governance/proposal-record.js";
import {
  formatTime,
  formatTimepoint,
  type ProposalStatus,
  readStatus,
  stateExplanation,
} from "../governance/proposal-status.js";
import {
  type Governance,
  openGovernance,
  proposalWithStatus,
  sayCalls,
  statusJson,
  statusRows,
} from "../governance/proposal-view.js";

/** `IGovernor` vote types (GovernorCountingSimple). */
const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;

const base = { ...ChainOptionsShape, ...KeyOptionsShape, id: ProposalIdSchema };
const VoteOptionsSchema = z.strictObject({
  ...base,
  support: z.enum(["for", "against", "abstain"], { message: "must be for, against or abstain" }),
  reason: z.string().optional(),
});
const StepOptionsSchema = z.strictObject(base);

/** A proposal that is not in the state an action needs: says which it is and what that means. */
function wrongState(code: string, gov: Governance, status: ProposalStatus, rule: string): RefusedError {
  return new RefusedError(
    code,
    `proposal ${status.proposalId} is ${status.state}: ${stateExplanation(status, gov.trib)}; ${rule}; nothing was sent`,
    { proposalId: status.proposalId, state: status.state },
  );
}

/** Prints where the proposal stands after `transaction` and the JSON line. */
async function finish(
  out: Output,
  gov: Governance,
  action: string,
  proposalId: bigint,
  transaction: MinedTransaction,
  extra: Record<string, unknown> = {},
) {
  const status = await readStatus(gov.governor, gov.chain.provider, proposalId);
  out.say(`proposal ${proposalId} now:`);
  out.table(statusRows(status, gov.trib));
  out.done({
    action,
    chainId: gov.chain.chainId,
    proposalId,
    ...extra,
    status: statusJson(status),
    transactions: [transaction],
  });
}

function runVote(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(VoteOptionsSchema, raw, "gov vote options");
    const wallet = await walletFor("voter", options, out);
    await withChain(options, context, async (chain) => {
      const gov = await openGovernance(chain, wallet);
      const voter = wallet.address.toLowerCase();
      if ((await gov.governor.proposalSnapshot(options.id)) === 0n) throw unknownProposal(options.id, gov.address);
      const status = await readStatus(gov.governor, chain.provider, options.id);
      if (status.state !== "Active") {
        throw wrongState("PROPOSAL_NOT_ACTIVE", gov, status, "votes are cast only while it is Active");
      }
      if (await gov.governor.hasVoted(options.id, voter)) {
        throw new RefusedError(
          "ALREADY_VOTED",
          `${voter} has already voted on proposal ${options.id}, and a vote cannot be changed; nothing was sent`,
          { proposalId: options.id, voter },
        );
      }
      const weight = await gov.governor.getVotes(voter, status.snapshot);
      if (weight === 0n) {
        throw new RefusedError(
          "NO_VOTING_POWER",
          `${voter} had no votes at proposal ${options.id}'s snapshot (${formatTimepoint(status.clock, status.snapshot)}): votes count as delegated at the snapshot, so tokens received or delegated later do not count (delegate with \`tributary token delegate\` before the next proposal); nothing was sent`,
          { proposalId: options.id, voter, snapshot: status.snapshot },
        );
      }
      const support = SUPPORT[options.support];
      out.say(
        `gov vote: ${voter} votes ${options.support} on proposal ${options.id} with ${formatToken(weight, gov.trib)} (its votes at the snapshot)`,
      );
      const vote = await sendAndWait(out, {
        description: `vote ${options.support}`,
        call: options.reason === undefined ? "TributaryGovernor.castVote" : "TributaryGovernor.castVoteWithReason",
        send: () =>
          options.reason === undefined
            ? gov.governor.castVote(options.id, support)
            : gov.governor.castVoteWithReason(options.id, support, options.reason),
      });
      await finish(out, gov, "gov vote", options.id, vote, {
        voter,
        support: options.support,
        weight,
        reason: options.reason ?? null,
      });
    });
  });
}

/**
 * Runs `gov queue|execute`: parses the flags, opens the key (anyone may queue or execute) and the chain, finds the
 * proposal (`PROPOSAL_UNKNOWN` without one) and hands it to `step`.
 */
function runProposalStep(
  action: "queue" | "execute",
  raw: Record<string, unknown>,
  context: CommandContext,
  step: (out: Output, gov: Governance, proposal: { record: ProposalRecord; status: ProposalStatus }) => Promise<void>,
): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(StepOptionsSchema, raw, `gov ${action} options`);
    const wallet = await walletFor("voter", options, out);
    await withChain(options, context, async (chain) => {
      const gov = await openGovernance(chain, wallet);
      await step(out, gov, await proposalWithStatus(gov, options.id));
    });
  });
}

function runQueue(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runProposalStep("queue", raw, context, async (out, gov, { record, status }) => {
    const { proposalId } = record;
    if (status.state !== "Succeeded") {
      throw wrongState("PROPOSAL_NOT_SUCCEEDED", gov, status, "only a proposal that passed can be queued");
    }
    const delay = await (await gov.chain.contract("TributaryTimelock")).getMinDelay();
    out.say(
      `gov queue schedules proposal ${proposalId}'s ${record.targets.length} call(s) in the timelock, executable ${delay} s after this transaction; anyone may queue, it spends only gas`,
    );
    const queued = await sendAndWait(out, {
      description: `queue proposal ${proposalId}`,
      call: "TributaryGovernor.queue",
      send: () => gov.governor.queue(record.targets, record.values, record.calldatas, record.descriptionHash),
    });
    await finish(out, gov, "gov queue", proposalId, queued);
  });
}

function runExecute(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runProposalStep("execute", raw, context, async (out, gov, { record, status }) => {
    const { proposalId } = record;
    const ready =
      status.state === "Queued" ||
      (status.state === "Succeeded" && !(await gov.governor.proposalNeedsQueuing(proposalId)));
    if (!ready) {
      const rule = "only a queued proposal whose timelock delay has passed can be executed";
      throw wrongState("PROPOSAL_NOT_QUEUED", gov, status, rule);
    }
    // The next block is at least one second after the latest: an eta up to then is reached.
    if (status.state === "Queued" && status.eta > status.clock.time + 1n) {
      throw new RefusedError(
        "TIMELOCK_NOT_READY",
        `proposal ${proposalId} is queued, but the timelock delay has not passed: executable from ${formatTime(status.clock, status.eta)}; nothing was sent`,
        { proposalId, eta: status.eta, chainTime: status.clock.time },
      );
    }
    const calls = await decodeCalls(gov.chain, record);
    out.say(
      `gov execute has the timelock make proposal ${proposalId}'s call(s); anyone may execute, it spends only gas:`,
    );
    sayCalls(out, calls);
    const value = record.values.reduce((sum, item) => sum + item, 0n);
    const executed = await sendAndWait(out, {
      description: `execute proposal ${proposalId}`,
      call: "TributaryGovernor.execute",
      send: () =>
        gov.governor.execute(record.targets, record.values, record.calldatas, record.descriptionHash, { value }),
    });
    await finish(out, gov, "gov execute", proposalId, executed, { calls });
  });
}

/** Adds `gov vote`, `gov queue` and `gov execute` to the `gov` command. */
export function registerGovLifecycle(gov: Command, context: CommandContext): void {
  const signed = (command: Command) => addKeyOption(addChainOptions(command), "voter");
  signed(gov.command("vote").description("vote on an active proposal with the key's votes at its snapshot"))
    .argument("<id>", "the proposal id")
    .argument("<support>", "for, against or abstain")
    .option("--reason <text>", "a reason, recorded on chain with the vote")
    .action((proposalId: string, support: string, options: Record<string, unknown>) =>
      runVote({ ...options, id: proposalId, support }, context),
    );
  signed(gov.command("queue").description("queue a passed proposal in the timelock (anyone may)"))
    .argument("<id>", "the proposal id")
    .action((proposalId: string, options: Record<string, unknown>) =>
      runQueue({ ...options, id: proposalId }, context),
    );
  signed(
    gov.command("execute").description("execute a queued proposal once the timelock delay has passed (anyone may)"),
  )
    .argument("<id>", "the proposal id")
    .action((proposalId: string, options: Record<string, unknown>) =>
      runExecute({ ...options, id: proposalId }, context),
    );
}
