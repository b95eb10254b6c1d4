import { parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { formatToken, tokenInfo } from "../chain/spend.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { type ChallengeOutcome, challengeResults } from "../verification/challenge-results.js";
import {
  addVerificationOptions,
  openVerification,
  passes,
  VerificationOptionsShape,
} from "../verification/verification-options.js";
import { taskEventScanner } from "../verification/verifier-tasks.js";
import { signalled } from "./signalled.js";

/** A watcher's context: where deployments live, and (tests) what ends `--watch` instead of a signal. */
export interface WatchCommandContext extends CommandContext {
  readonly stop?: Promise<void>;
}

const ChallengerOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  ...VerificationOptionsShape,
  bondApprove: z.boolean().default(false),
});

function row(outcome: ChallengeOutcome): string[] {
  const what =
    outcome.action === "checked"
      ? outcome.verdict
      : outcome.action === "not-open"
        ? `${outcome.status}`
        : outcome.action;
  return [`task ${outcome.taskId}`, what, outcome.responseHash, outcome.recomputed ?? outcome.reason ?? ""];
}

function runChallenger(raw: Record<string, unknown>, context: WatchCommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ChallengerOptionsSchema, raw, "challenger options");
    const wallet = await walletFor("challenger", options, out);
    await withChain(options, context, async (chain) => {
      const signer = wallet.connect(chain.provider);
      const { verifier, checker, fromBlock } = await openVerification(out, chain, options, signer);
      const staking = await chain.contract("Staking");
      const token = await tokenInfo(await staking.stakingToken(), chain.provider);
      const bond = { token, amount: (await verifier.parameters()).challengerBond };
      const modelId = BigInt(options.model);
      out.say(
        `challenger ${signer.address}: re-executing model ${modelId}'s submitted results from block ${fromBlock}; a wrong one is disputed with a bond of ${formatToken(bond.amount, token)}`,
      );
      const scanner = await taskEventScanner(verifier, "ResultSubmitted", { fromBlock });
      const challenger = {
        out,
        chain,
        wallet: signer,
        verifier,
        modelId,
        checker,
        bond,
        approveBond: options.bondApprove,
      };
      const outcomes = await passes(() => challengeResults(challenger, scanner), {
        watch: options.watch,
        intervalMs: options.intervalMs,
        stop: context.stop ?? signalled(),
      });
      const count = (action: ChallengeOutcome["action"]) => outcomes.filter((o) => o.action === action).length;
      const summary = {
        checked: outcomes.filter((o) => o.verdict === "agrees" || o.verdict === "differs").length,
        agreed: outcomes.filter((o) => o.verdict === "agrees").length,
        disputed: count("disputed"),
        refused: count("refused"),
        unavailable: outcomes.filter((o) => o.verdict === "unavailable" || o.verdict === "unusable").length,
      };
      out.table([["task", "outcome", "provider's hash", "recomputed"], ...outcomes.map(row)]);
      const result = { action: "challenger", modelId: options.model, ...summary, tasks: outcomes };
      const lines = [
        `checked ${summary.checked} result(s) of model ${modelId}: ${summary.agreed} agree, ${summary.disputed} disputed, ${summary.refused} refused, ${summary.unavailable} could not be checked`,
      ];
      // A dispute the challenger wanted to open and could not is a finding (exit 1).
      if (summary.refused > 0 || count("window-closed") > 0) out.finding(result, lines);
      else out.done(result, lines);
    });
  });
}

/**
 * `tributary challenger --model ID --model-dir DIR`: re-executes the results providers submit for a model on
 * OptimisticVerifier (`ResultSubmitted`) with the registered weights and disputes each wrong one within its window.
 */
export function registerChallengerCommand(program: Command, context: WatchCommandContext = {}): void {
  addVerificationOptions(
    addKeyOption(
      addChainOptions(
        program
          .command("challenger")
          .description(
            "re-execute the results providers submit on OptimisticVerifier for a model (deterministic path, registered weights) and dispute the wrong ones with a bond",
          ),
      ),
      "challenger",
    ),
    "submitted results",
  )
    .option("--bond-approve", "approve the challenger bond (staking token) when the allowance is short", false)
    .action((options: Record<string, unknown>) => runChallenger(options, context));
}
