import { readFile } from "node:fs/promises";
import { parseInput, TributaryError, Uint256Schema } from "@tributary/protocol";
import { InferenceProofSchema } from "@tributary/zk-proofs";
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { sendAndWait } from "../chain/transactions.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";

const ResolveOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  task: Uint256Schema,
  proof: z.string().min(1),
});

/** OptimisticVerifier's `TaskStatus` and `Outcome` enums, in order. */
const STATUS = ["None", "Requested", "Submitted", "Disputed", "Finalized", "Cancelled"] as const;
const OUTCOME = ["None", "Accepted", "ProviderWon", "ChallengerWon", "Void"] as const;

async function readProof(file: string) {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `--proof ${file}: ${(error as Error).message}`);
  }
  return parseInput(InferenceProofSchema, json, `--proof ${file}`);
}

/**
 * `tributary zk resolve --task ID --proof FILE`: ends a dispute on OptimisticVerifier with a proof from `zk prove`.
 * Before sending, checks that the task is disputed and resolved by a proof, that the proof answers the task's input
 * (its requestHash is the task's inputHash) and that it proves one of the two disputed responses: the side whose
 * response it proves wins (`resolveWithProof`). A proof the contract refuses exits 1 with its decoded error.
 */
export function runZkResolve(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ResolveOptionsSchema, raw, "zk resolve options");
    const proof = await readProof(options.proof);
    const wallet = await walletFor("provider", options, out);
    await withChain(options, context, async (chain) => {
      const verifier = await chain.contract("OptimisticVerifier", wallet);
      const task = await verifier.getTask(options.task);
      const status = STATUS[Number(task.status)] ?? "None";
      if (status !== "Disputed") {
        throw new RefusedError("ZK_TASK_NOT_DISPUTED", `task ${options.task} is ${status}, not Disputed`, { status });
      }
      if (task.proofVerifier === ZeroAddress) {
        throw new RefusedError(
          "ZK_TASK_BY_COMMITTEE",
          `task ${options.task}'s dispute is resolved by the committee: its model had no proof verifier when it was disputed`,
        );
      }
      if (proof.requestHash !== task.inputHash.toLowerCase()) {
        throw new RefusedError(
          "ZK_PROOF_OTHER_INPUT",
          `the proof answers request ${proof.requestHash}, task ${options.task}'s input is ${task.inputHash}`,
          { requestHash: proof.requestHash, inputHash: task.inputHash },
        );
      }
      const side =
        proof.responseHash === task.responseHash.toLowerCase()
          ? "provider"
          : proof.responseHash === task.alternativeResponseHash.toLowerCase()
            ? "challenger"
            : undefined;
      if (side === undefined) {
        throw new RefusedError(
          "ZK_PROOF_OTHER_RESPONSE",
          `the proof's response ${proof.responseHash} is neither the provider's ${task.responseHash} nor the challenger's ${task.alternativeResponseHash}`,
        );
      }
      out.say(`task ${options.task}: proving the ${side}'s response ${proof.responseHash}`);
      const resolve = await sendAndWait(out, {
        description: `resolve task ${options.task} with a proof of the ${side}'s response`,
        call: "OptimisticVerifier.resolveWithProof",
        send: () => verifier.resolveWithProof(options.task, proof.responseHash, proof.calldata),
      });
      const outcome = OUTCOME[Number((await verifier.getTask(options.task)).outcome)] ?? "None";
      out.done({ taskId: options.task, side, outcome, transactions: [resolve] }, [
        `task ${options.task} finalised: ${outcome}`,
      ]);
    });
  });
}

/** Adds `zk resolve` under `zk`. */
export function registerZkResolveCommand(zk: Command, context: CommandContext): void {
  addKeyOption(
    addChainOptions(
      zk
        .command("resolve")
        .description(
          "end a dispute on OptimisticVerifier with a proof from `zk prove` (resolveWithProof): the side whose response it proves wins",
        )
        .requiredOption("--task <id>", "the disputed task")
        .requiredOption("--proof <file>", "the proof `zk prove --out` wrote"),
    ),
    "provider",
    " of whoever sends the proof (anyone may)",
  ).action((options: Record<string, unknown>) => runZkResolve(options, context));
}
