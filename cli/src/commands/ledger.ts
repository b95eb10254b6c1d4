import { connectRpc, coordinatorBlobFetcher, fetchLedger, type LedgerReport, verifyLedger } from "@tributary/auditor";
import { AddressSchema, JobIdSchema, parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { z } from "zod";
import { EXIT, exitWithUsageCode, reportUsageError } from "./exit-codes.js";
import { type ResolvedTrainingJobs, resolveTrainingJobs } from "./training-jobs-address.js";

/** Where `tributary up` and the coordinator listen by default (coordinator config `port`). */
export const DEFAULT_COORDINATOR_URL = "http://127.0.0.1:8470";

const LedgerVerifyOptionsSchema = z.strictObject({
  job: JobIdSchema,
  rpc: z.url({ message: "must be the JSON-RPC URL of the job's chain, e.g. http://127.0.0.1:8545" }),
  coordinator: z.url({ message: "must be the coordinator's URL, e.g. http://127.0.0.1:8470" }),
  trainingJobs: AddressSchema.optional(),
  json: z.boolean().default(false),
});

/** The human report: what was read from where, what was checked, and every disagreement on its own line. */
export function formatLedgerReport(report: LedgerReport, trainingJobs: ResolvedTrainingJobs): string {
  const { checked } = report;
  const lines = [
    `ledger of job ${report.jobId} on chain ${report.chainId}, TrainingJobs ${report.trainingJobs} (from ${trainingJobs.from})${report.blockNumber === null ? "" : `, read at block ${report.blockNumber}`}`,
    `checked ${checked.rounds} rounds, ${checked.leaves} leaves, ${checked.blobs} blobs (${checked.blobsUnreachable} not reachable, not checked), ${checked.payouts} payouts`,
  ];
  if (trainingJobs.source === "ledger") {
    lines.push(
      "warning: the contract address is the coordinator's own claim; pass --training-jobs to audit against one you trust",
    );
  }
  if (report.ok) {
    lines.push("OK: every root, hash and payout in the ledger agrees with the chain");
  } else {
    const count = report.disagreements.length;
    lines.push(`FAILED: ${count} disagreement${count === 1 ? "" : "s"}:`);
    for (const disagreement of report.disagreements) lines.push(`  [${disagreement.kind}] ${disagreement.message}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `tributary ledger verify`: audits a job's ledger against the chain; exit 0 agreed, 1 disagreements, 2 errors. */
export async function runLedgerVerify(raw: Record<string, unknown>): Promise<void> {
  try {
    const options = parseInput(LedgerVerifyOptionsSchema, raw, "ledger verify options");
    const ledger = await fetchLedger(options.coordinator, options.job);
    const provider = await connectRpc(options.rpc);
    try {
      const { chainId } = await provider.getNetwork();
      const trainingJobs = await resolveTrainingJobs({
        option: options.trainingJobs,
        chainId,
        ledgerAddress: async () => ledger.trainingJobs,
      });
      const report = await verifyLedger({
        ledger,
        provider,
        trainingJobs: trainingJobs.address,
        fetchBlob: coordinatorBlobFetcher(options.coordinator, ledger.jobId),
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ ...report, trainingJobsSource: trainingJobs.source })}\n`
          : formatLedgerReport(report, trainingJobs),
      );
      process.exitCode = report.ok ? EXIT.ok : EXIT.finding;
    } finally {
      provider.destroy();
    }
  } catch (error) {
    reportUsageError(error, raw.json === true);
  }
}

export function registerLedgerCommand(program: Command): void {
  const ledger = program.command("ledger").description("audit a training job's on-chain accounting");
  ledger
    .command("verify")
    .description(
      "check a job's ledger against the chain: roots recomputed from the leaves, blobs hashed, payouts recomputed (exit 0 agreed, 1 disagreements, 2 usage/connection errors)",
    )
    .requiredOption("--job <id>", "the job id on TrainingJobs")
    .requiredOption("--rpc <url>", "JSON-RPC URL of the job's chain (the roots are read from it)")
    .option("--coordinator <url>", "the coordinator serving the ledger", DEFAULT_COORDINATOR_URL)
    .option(
      "--training-jobs <address>",
      "TrainingJobs address (default: the deployment file for the RPC's chain, else the ledger's own)",
    )
    .option("--json", "print the report as one JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runLedgerVerify(options));
}
