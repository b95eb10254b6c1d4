import { parseInput, Uint256Schema } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { type CommitteeMember, type VoteOutcome, voteOnDisputes, voteOnTask } from "../verification/committee-votes.js";
import {
  addVerificationOptions,
  openVerification,
  passes,
  VerificationOptionsShape,
} from "../verification/verification-options.js";
import { taskEventScanner } from "../verification/verifier-tasks.js";
import type { WatchCommandContext } from "./challenger.js";
import { signalled } from "./signalled.js";

const VoteOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  ...VerificationOptionsShape,
  task: Uint256Schema.optional(),
});

function row(outcome: VoteOutcome): string[] {
  const vote =
    outcome.providerCorrect === undefined ? "" : outcome.providerCorrect ? "provider correct" : "provider wrong";
  return [`task ${outcome.taskId}`, outcome.action, vote, outcome.error?.message ?? outcome.reason ?? ""];
}

/** The one dispute `--task` names; the contract's refusal of the vote is the command's (exit 1, decoded error). */
async function voteOnOne(member: CommitteeMember, taskId: bigint): Promise<VoteOutcome[]> {
  const outcome = await voteOnTask(member, taskId, await member.verifier.getTask(taskId));
  if (outcome.action === "refused" && outcome.error !== undefined) {
    throw new RefusedError(outcome.error.code, outcome.error.message, outcome.error.details);
  }
  return [outcome];
}

function runVote(raw: Record<string, unknown>, context: WatchCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(VoteOptionsSchema, raw, "committee vote options");
    const wallet = await walletFor("committee", options, out);
    await withChain(options, context, async (chain) => {
      const signer = wallet.connect(chain.provider);
      const { verifier, checker, fromBlock } = await openVerification(out, chain, options, signer);
      const modelId = BigInt(options.model);
      const member: CommitteeMember = {
        out,
        chain,
        member: signer.address.toLowerCase(),
        verifier,
        modelId,
        checker,
      };
      if (!(await verifier.isCommitteeMember(member.member))) {
        out.say(`${member.member} is not on the committee: the contract will refuse its votes`);
      }
      let outcomes: VoteOutcome[];
      if (options.task !== undefined) {
        outcomes = await voteOnOne(member, BigInt(options.task));
      } else {
        out.say(`committee member ${member.member}: re-executing model ${modelId}'s disputes from block ${fromBlock}`);
        const scanner = await taskEventScanner(verifier, "Disputed", { fromBlock });
        outcomes = await passes(() => voteOnDisputes(member, scanner), {
          watch: options.watch,
          intervalMs: options.intervalMs,
          stop: context.stop ?? signalled(),
        });
      }
      const voted = outcomes.filter((o) => o.action === "voted");
      const refused = outcomes.filter((o) => o.action === "refused");
      out.table([["task", "outcome", "vote", "why"], ...outcomes.map(row)]);
      const result = {
        action: "committee vote",
        modelId: options.model,
        voted: voted.length,
        refused: refused.length,
        tasks: outcomes,
      };
      const lines = [
        `model ${modelId}: ${voted.length} vote(s) cast (${voted.filter((o) => o.providerCorrect).length} for the provider), ${refused.length} refused`,
      ];
      if (refused.length > 0) out.finding(result, lines);
      else out.done(result, lines);
    });
  });
}

/** `tributary committee vote`: a committee member re-executes disputed tasks and votes on them. */
export function registerCommitteeCommand(program: Command, context: WatchCommandContext = {}): void {
  const committee = program
    .command("committee")
    .description("OptimisticVerifier's committee: re-execute disputed tasks and vote on them");
  addVerificationOptions(
    addKeyOption(
      addChainOptions(
        committee
          .command("vote")
          .description(
            "re-execute the disputed tasks of a model (deterministic path, registered weights) and vote providerCorrect = (recomputed hash == the provider's)",
          ),
      ),
      "committee",
    ),
    "disputes",
  )
    .option("--task <id>", "vote on this dispute only (a refusal by the contract exits 1 with its decoded error)")
    .action((options: Record<string, unknown>) => runVote(options, context));
}
