import type { ChainSession } from "../chain/chain-session.js";
import { formatTable } from "../chain/output.js";
import { emptyRecord, readDeploymentRecords, type VerificationRecord } from "../verification/verification-record.js";
import type { CheaterRun, RoleCounts } from "./demo-cheater.js";
import type { ListedModel } from "./demo-market-provider.js";
import { formatAmount } from "./payout-summary.js";

/** One provider of the cheater scenario, as the chain records it at the end. */
export interface ScenarioProvider {
  readonly provider: string;
  readonly modelId: string;
  /** Staked on Staking at the start and at the end (wei). */
  readonly stakeBefore: bigint;
  readonly stakeAfter: bigint;
  readonly active: boolean;
  readonly reputation: bigint;
  readonly requestsBefore: number;
  readonly requestsAfter: number;
  /** Its listing's verified results, read from the chain's events (`readVerificationRecords`). */
  readonly record: VerificationRecord;
}

/** `npm start -- --cheater`: what verified inference did to the two providers. Amounts in TRIB wei. */
export interface VerificationResult {
  readonly taskRate: number;
  readonly lieShare: number;
  readonly honest: ScenarioProvider;
  readonly cheater: ScenarioProvider;
  readonly challenger: string;
  readonly committee: readonly string[];
  /** Task ids the cheater submitted a false hash for. */
  readonly lies: readonly string[];
  /** Why the router stopped choosing the cheater, or null. */
  readonly excluded: string | null;
  /** Tasks the buyer finalised after the window, undisputed. */
  readonly finalized: number;
  /** Totals over both listings, from the chain's events. */
  readonly tasks: number;
  readonly disputes: number;
  readonly slashed: bigint;
  readonly zkVerified: number;
}

/** Reads how the scenario ended from the chain: both listings, their stakes and their records of verified results. */
export async function readVerificationResult(input: {
  readonly session: ChainSession;
  readonly honest: ListedModel;
  readonly cheater: ListedModel;
  readonly run: CheaterRun;
  readonly finalized: number;
  readonly taskRate: number;
  readonly lieShare: number;
  readonly challenger: string;
  readonly committee: readonly string[];
}): Promise<VerificationResult> {
  const { session, run } = input;
  const ids = [input.honest, input.cheater].map((listed) => BigInt(listed.registered.modelId));
  const records = await readDeploymentRecords(session, ids);
  const models = await session.contract("ModelRegistry");
  const staking = await session.contract("Staking");
  const provider = async (listed: ListedModel, role: keyof RoleCounts): Promise<ScenarioProvider> => {
    const modelId = BigInt(listed.registered.modelId);
    const model = await models.getModel(modelId);
    return {
      provider: listed.wallet.address.toLowerCase(),
      modelId: String(modelId),
      stakeBefore: listed.stake,
      stakeAfter: await staking.stakeOf(listed.wallet.address),
      active: model.active,
      reputation: model.reputationScore,
      requestsBefore: run.before[role],
      requestsAfter: run.after[role],
      record: records.get(String(modelId)) ?? emptyRecord(modelId),
    };
  };
  const honest = await provider(input.honest, "honest");
  const cheater = await provider(input.cheater, "cheater");
  const both = [honest.record, cheater.record];
  const sum = (pick: (record: VerificationRecord) => number) => both.reduce((total, r) => total + pick(r), 0);
  return {
    taskRate: input.taskRate,
    lieShare: input.lieShare,
    honest,
    cheater,
    challenger: input.challenger.toLowerCase(),
    committee: input.committee,
    lies: run.lies.map(String),
    excluded: run.excluded,
    finalized: input.finalized,
    tasks: sum((r) => r.tasks),
    disputes: sum((r) => r.disputes),
    slashed: both.reduce((total, r) => total + r.slashed, 0n),
    zkVerified: sum((r) => r.resolvedByProof),
  };
}

/** The `verification` of the `--json` line: the totals, then each provider. Amounts as decimal wei strings. */
export function verificationJson(result: VerificationResult) {
  const provider = (p: ScenarioProvider) => ({
    provider: p.provider,
    modelId: p.modelId,
    requestsBefore: p.requestsBefore,
    requestsAfter: p.requestsAfter,
    stakeBeforeWei: String(p.stakeBefore),
    stakeAfterWei: String(p.stakeAfter),
  });
  return {
    tasks: result.tasks,
    disputes: result.disputes,
    slashedWei: String(result.slashed),
    zkVerified: result.zkVerified,
    honest: provider(result.honest),
    cheater: provider(result.cheater),
  };
}

/**
 * The verification part of the summary: the cheater named as such, requests per provider before the slash and after,
 * each listing's record, the stake and reputation it cost, and the totals the JSON line gives.
 */
export function formatVerification(result: VerificationResult): string {
  const { honest, cheater } = result;
  const row = (name: string, p: ScenarioProvider) => [
    name,
    p.modelId,
    String(p.requestsBefore),
    String(p.requestsAfter),
    `${p.record.tasks} (${p.record.accepted} accepted)`,
    `${p.record.disputesWon}/${p.record.disputesLost}`,
    formatAmount(p.record.slashed),
    `${formatAmount(p.stakeBefore)} → ${formatAmount(p.stakeAfter)}`,
    String(p.reputation),
    p.active ? "active" : "inactive",
  ];
  const rows = [
    [
      "provider",
      "model",
      "requests before",
      "after",
      "tasks",
      "disputes won/lost",
      "slashed",
      "stake",
      "reputation",
      "listing",
    ],
    row(`honest ${honest.provider}`, honest),
    row(`CHEATER ${cheater.provider}`, cheater),
  ];
  const share = `${Number((result.lieShare * 100).toFixed(2))}%`;
  const lines = [
    `verification (--cheater): provider ${cheater.provider} (model ${cheater.modelId}) was a DELIBERATELY CHEATING DEMO PROVIDER: it submitted a false response hash for ${share} of the tasks naming it (tasks ${result.lies.join(", ") || "none"}), through a code-only test hook`,
    ...formatTable(rows).map((line) => `  ${line}`),
    `tasks: ${result.tasks} (${Number((result.taskRate * 100).toFixed(2))}% of the verifiable answers, drawn at random), ${result.disputes} disputed by challenger ${result.challenger}, decided by a committee of ${result.committee.length}; ${formatAmount(result.slashed)} slashed; ${result.finalized} finalised undisputed after the dispute window (the local chain's clock moved past it); ${result.zkVerified} resolved by a ZK proof (this model has no proof verifier: the committee decided)`,
    result.excluded === null
      ? `router: the cheater was not excluded (${cheater.active ? "its listing stayed active" : "not caught"})`
      : `router: stopped choosing the cheater once its standing check refused it (${result.excluded}): ${cheater.requestsAfter} of the ${honest.requestsAfter + cheater.requestsAfter} requests after the slash went to it`,
  ];
  return `${lines.join("\n")}\n`;
}
