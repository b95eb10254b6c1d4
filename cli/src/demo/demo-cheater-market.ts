import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import { Output } from "../chain/output.js";
import { chainTime } from "../verification/verifier-tasks.js";
import { CHEATER_BATCH, type CheaterOptions, type CheaterRun } from "./demo-cheater.js";
import { type ListedModel, listAndServe } from "./demo-market-provider.js";
import type { DemoVerifiers } from "./demo-verifiers.js";
import { readVerificationResult, type VerificationResult } from "./verification-summary.js";

/** The deliberately cheating provider's lines in the demo's output. */
export const CHEATER_ROLE = "CHEATER (deliberately cheating demo provider)";

/** The second provider of `--cheater`, listed and served like the first, and labelled loudly as what it is. */
export async function listCheater(
  shared: Omit<Parameters<typeof listAndServe>[0], "out" | "dir" | "extraStake">,
  cheater: CheaterOptions,
  out: Output,
): Promise<ListedModel> {
  const verifier = await shared.session.contract("OptimisticVerifier");
  const { providerSlashAmount } = await verifier.parameters();
  // Beyond what its listing locks, the cheater stakes enough for each lie of a batch to be slashed in full.
  const lies = BigInt(Math.ceil(CHEATER_BATCH * cheater.lieShare));
  out.say(
    `!!! a DELIBERATELY CHEATING DEMO PROVIDER: it serves correct answers but submits a false response hash on chain for ${Number((cheater.lieShare * 100).toFixed(2))}% of the tasks naming it (the task responder's code-only test hook; no flag of tributary provider serve reaches it) !!!`,
  );
  return listAndServe({ ...shared, dir: "cheater", extraStake: providerSlashAmount * lies, out });
}

/**
 * After the channels closed (the local chain's clock moved past their expiry and challenge period, and so past every
 * task's dispute window): the buyer finalises its undisputed tasks and withdraws what lost disputes refunded (`model
 * tasks --finalize`), and the scenario's end is read from the chain.
 */
export async function settleScenario(input: {
  readonly session: ChainSession;
  readonly buyer: Wallet;
  readonly buyerOut: Output;
  readonly honest: ListedModel;
  readonly cheater: ListedModel;
  readonly run: CheaterRun;
  readonly verifiers: DemoVerifiers;
  readonly cheaterOptions: CheaterOptions;
}): Promise<VerificationResult> {
  const { session, buyer, run } = input;
  const verifier = await session.contract("OptimisticVerifier", buyer);
  const now = await chainTime(session);
  // One transaction per task: its lines are not printed, the count is.
  const standings = await run.book.settle(Output.silent(), buyer.address, verifier, now);
  const finalized = standings.filter((standing) => standing.action === "finalized").length;
  input.buyerOut.say(
    `finalised ${finalized} undisputed task(s) past their dispute window and took back the payments of ${run.lost.length} lost dispute(s) (model tasks --finalize)`,
  );
  return readVerificationResult({
    session,
    honest: input.honest,
    cheater: input.cheater,
    run,
    finalized,
    taskRate: input.cheaterOptions.taskRate,
    lieShare: input.cheaterOptions.lieShare,
    challenger: input.verifiers.challenger.address,
    committee: input.verifiers.members,
  });
}
