import path from "node:path";
import type { DatasetRegistry } from "@tributary/contracts/typed";
import type { LabelledSpend } from "@tributary/privacy";
import { DatasetPrivacyGuard, privacyLedgerFile } from "@tributary/trainer-agent";
import { readDataset } from "./dataset-records.js";

/** A dataset's privacy budget as enrolled on chain against what its trainer agent has charged on disk. */
export interface BudgetReport {
  readonly datasetId: string;
  /** (ε, δ) on DatasetRegistry. */
  readonly enrolled: { readonly epsilon: number; readonly delta: number };
  /** The agent's ledger file (which may not exist). */
  readonly ledgerFile: string;
  /** The budget the agent enforces, from its ledger; null without a ledger. */
  readonly enforced: { readonly epsilon: number; readonly delta: number } | null;
  /** ε spent in total (all jobs composed) at the enforced δ; 0 without a ledger. */
  readonly spent: number;
  /** The enrolled ε minus what was spent (never below 0). */
  readonly remaining: number;
  /** Each job's rounds composed on their own, by job id. */
  readonly byJob: readonly LabelledSpend[];
  /** What the owner should know: the agent enforces more than was enrolled, or spent more. */
  readonly findings: readonly string[];
}

/**
 * Reads dataset `datasetId`'s enrolled budget from DatasetRegistry and the agent's privacy ledger from `stateDir`
 * (the `--state-dir` of `tributary trainer`, where it charges every DP-SGD round before training), and compares them.
 */
export async function datasetBudget(
  registry: DatasetRegistry,
  datasetId: string,
  stateDir: string,
): Promise<BudgetReport> {
  const dataset = await readDataset(registry, datasetId);
  const dir = path.resolve(stateDir);
  const ledger = await DatasetPrivacyGuard.readReport(dir, datasetId);
  const enrolled = { epsilon: dataset.epsilon, delta: dataset.delta };
  const spent = ledger?.spent.epsilon ?? 0;
  const findings: string[] = [];
  if (ledger !== undefined) {
    if (ledger.budget.epsilon > enrolled.epsilon || ledger.budget.delta > enrolled.delta) {
      findings.push(
        `the agent enforces ε ${ledger.budget.epsilon}, δ ${ledger.budget.delta}, more than the enrolled ε ${enrolled.epsilon}, δ ${enrolled.delta}: restart it with --rpc, which makes it enforce the enrolled budget`,
      );
    }
    if (spent > enrolled.epsilon) {
      findings.push(`ε ${spent} was spent, more than the enrolled ε ${enrolled.epsilon}`);
    }
  }
  return {
    datasetId,
    enrolled,
    ledgerFile: privacyLedgerFile(dir, datasetId),
    enforced: ledger === undefined ? null : { ...ledger.budget },
    spent,
    remaining: Math.max(0, enrolled.epsilon - spent),
    byJob: ledger?.byJob ?? [],
    findings,
  };
}
