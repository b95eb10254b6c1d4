import { connectRpc, coordinatorBlobFetcher, fetchLedger, type LedgerReport, verifyLedger } from "@tributary/auditor";
import { connectStaking } from "@tributary/contracts/typed";
import { AddressSchema, InvalidInputError, JobIdSchema, parseInput, signIn } from "@tributary/protocol";
import type { Command } from "commander";
import type { JsonRpcProvider } from "ethers";
import { z } from "zod";
import { addCoordinatorOption, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import { findDeployment } from "../chain/deployment.js";
import { formatToken, tokenInfo } from "../chain/spend.js";
import { addKeyOption, KeyOptionsShape, optionalWalletFor } from "../chain/wallet-options.js";
import { type JobModelRecord, readJobModelRecords } from "../verification/job-model-records.js";
import { describeRecord } from "../verification/verification-record.js";
import { EXIT, exitWithUsageCode, reportUsageError } from "./exit-codes.js";
import { prepareScoreRecomputation, type ScoreRecomputation } from "./score-recomputation.js";
import { type ResolvedTrainingJobs, resolveTrainingJobs } from "./training-jobs-address.js";

const LedgerVerifyOptionsSchema = z.strictObject({
  job: JobIdSchema,
  rpc: z.url({ message: "must be the JSON-RPC URL of the job's chain, e.g. http://127.0.0.1:8545" }),
  ...CoordinatorOptionsShape,
  trainingJobs: AddressSchema.optional(),
  deployment: z.string().min(1).optional(),
  trustCoordinatorAddress: z.boolean().default(false),
  skipBlobs: z.boolean().default(false),
  ...KeyOptionsShape,
  recomputeScores: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** Why blobs were not checked when the auditor has no key to sign in with. */
export const NO_KEY_REASON =
  "not accessible: no TRIBUTARY_AUDITOR_KEY or --keystore to sign in as the job's researcher or a named auditor";

/** `checked 2 rounds, 6 leaves, …`: what the audit covered. */
function coverage(report: LedgerReport): string {
  const { checked } = report;
  const skippedBecause = report.warnings.find((warning) => warning.kind === "blobs-skipped")?.message ?? "";
  const blobs = checked.blobsSkipped
    ? skippedBecause.includes(NO_KEY_REASON)
      ? `blobs not checked (${NO_KEY_REASON})`
      : "blobs not checked (--skip-blobs)"
    : `${checked.blobs} blobs${checked.blobsUnreachable > 0 ? ` (${checked.blobsUnreachable} not served)` : ""}`;
  const signatures =
    checked.unsignedLeaves === checked.leaves && checked.leaves > 0
      ? "no update signatures"
      : `${checked.signatures} update signatures${checked.unsignedLeaves > 0 ? ` (${checked.unsignedLeaves} leaves unsigned)` : ""}`;
  return `checked ${checked.rounds} rounds, ${checked.leaves} leaves, ${blobs}, ${signatures}, ${checked.payouts} payouts`;
}

/** `recomputed the scores of 2 rounds (6 leaves, 8 evaluations on the validation set, backend wasm)`. */
function recomputeLine(report: LedgerReport, backend: string): string | undefined {
  const done = report.recomputed;
  if (done === null) return undefined;
  const skipped = done.notRecomputed > 0 ? `; ${done.notRecomputed} rounds not recomputed` : "";
  const evaluated =
    done.method === "examples"
      ? "examples scoring: no evaluation"
      : `${done.evaluations} evaluations on the validation set, backend ${backend}`;
  return `recomputed the ${done.method} scores of ${done.rounds} rounds (${done.leaves} leaves, ${evaluated})${skipped}`;
}

/** `attestations: 4 sgx, 2 SIMULATED`: the kinds the leaves name. */
function attestationLine(report: LedgerReport): string {
  const parts = Object.entries(report.attestations)
    .filter(([, count]) => count > 0)
    .map(
      ([kind, count]) => `${count} ${kind === "simulated" ? "SIMULATED" : kind === "unknown" ? "not stated" : kind}`,
    );
  return `attestations: ${parts.length === 0 ? "none" : parts.join(", ")}`;
}

/** The human report: what was read from where, what was checked, warnings, and every disagreement on its own line. */
export function formatLedgerReport(report: LedgerReport, trainingJobs: ResolvedTrainingJobs, backend = "none"): string {
  const lines = [
    `ledger of job ${report.jobId} on chain ${report.chainId}, TrainingJobs ${report.trainingJobs} (from ${trainingJobs.from})${report.blockNumber === null ? "" : `, read at block ${report.blockNumber}`}`,
    "rounds are numbered as the coordinator numbers them (from 0); round N is anchored on chain as round N + 1",
    coverage(report),
    ...[recomputeLine(report, backend)].filter((line) => line !== undefined),
    attestationLine(report),
  ];
  if (trainingJobs.source === "ledger") {
    lines.push(
      "warning: the contract address is the coordinator's own claim (--trust-coordinator-address); pass --training-jobs or --deployment to audit against one you trust",
    );
  }
  if (report.simulatedAttestation) {
    lines.push(
      `!!! SIMULATED ATTESTATION: ${report.attestations.simulated} update(s) came from trainers without a TEE: no hardware guarantee !!!`,
    );
  }
  for (const warning of report.warnings) lines.push(`warning: [${warning.kind}] ${warning.message}`);
  if (report.ok) {
    lines.push(
      report.checked.blobsSkipped
        ? "OK: every root and payout in the ledger agrees with the chain (blobs not checked)"
        : report.recomputed !== null
          ? "OK: every root, hash and payout in the ledger agrees with the chain, and every score with its recomputation"
          : "OK: every root, hash and payout in the ledger agrees with the chain",
    );
  } else {
    const count = report.disagreements.length;
    lines.push(`FAILED: ${count} disagreement${count === 1 ? "" : "s"}:`);
    for (const disagreement of report.disagreements) lines.push(`  [${disagreement.kind}] ${disagreement.message}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Why the job's models were not read: ModelRegistry is taken from a deployment file the user keeps, never from elsewhere. */
const MODELS_UNREAD =
  "not read: ModelRegistry and OptimisticVerifier come from a deployment file only (pass --deployment)";

/**
 * The models listed from the job and their providers' disputes and slashes, when the contracts come from the user's
 * deployment file (`--deployment` or the chain's default file); null otherwise.
 */
async function jobModels(
  provider: JsonRpcProvider,
  input: { readonly deployment?: string | undefined; readonly chainId: bigint; readonly jobId: string },
  trainingJobs: ResolvedTrainingJobs,
  context: CommandContext,
): Promise<{ models: JobModelRecord[]; lines: string[] } | null> {
  if (trainingJobs.source !== "deployment") return null;
  const found = await findDeployment(input.deployment, input.chainId, context);
  if (found === undefined) return null;
  const { deployment } = found;
  const models = await readJobModelRecords(provider, deployment, BigInt(input.jobId));
  const staking = connectStaking(deployment.contracts.Staking, provider);
  const token = await tokenInfo(await staking.stakingToken(), provider);
  const show = (amount: bigint) => formatToken(amount, token);
  const lines =
    models.length === 0
      ? [`models listed from job ${input.jobId}: none on ModelRegistry ${deployment.contracts.ModelRegistry}`]
      : [
          `models listed from job ${input.jobId} (ModelRegistry ${deployment.contracts.ModelRegistry}, verified results on OptimisticVerifier):`,
          ...models.map(
            (model) =>
              `  model ${model.modelId} by ${model.provider} (${model.active ? "active" : "inactive"}, reputation ${model.reputation}, ${show(model.stake)} locked): ${describeRecord(model.verification, show)}`,
          ),
        ];
  return { models, lines };
}

/** `tributary ledger verify`: audits a job's ledger against the chain; exit 0 agreed, 1 disagreements, 2 errors. */
export async function runLedgerVerify(raw: Record<string, unknown>, context: CommandContext = {}): Promise<void> {
  try {
    const options = parseInput(LedgerVerifyOptionsSchema, raw, "ledger verify options");
    if (options.recomputeScores && options.skipBlobs) {
      throw new InvalidInputError("ledger verify options", [
        {
          path: "ledger verify options.recomputeScores",
          message: "--recompute-scores scores the rounds from their blobs: it cannot be combined with --skip-blobs",
        },
      ]);
    }
    const ledger = await fetchLedger(options.coordinator, options.job);
    const provider = await connectRpc(options.rpc);
    try {
      const { chainId } = await provider.getNetwork();
      const trainingJobs = await resolveTrainingJobs({
        option: options.trainingJobs,
        deployment: options.deployment,
        chainId,
        deploymentsDir: context.deploymentsDir,
        ledgerAddress: options.trustCoordinatorAddress ? async () => ledger.trainingJobs : undefined,
        hint: ", or --trust-coordinator-address to audit against the address the coordinator reports",
      });
      const wallet = options.skipBlobs ? undefined : await optionalWalletFor("auditor", options);
      const token =
        wallet === undefined ? undefined : (await signIn(options.coordinator, wallet, Number(chainId))).token;
      let recompute: ScoreRecomputation | undefined;
      if (options.recomputeScores) {
        recompute = await prepareScoreRecomputation({
          coordinator: options.coordinator,
          provider,
          trainingJobs: trainingJobs.address,
          ledger,
          token,
          progress: (line) => {
            if (!options.json) process.stderr.write(`${line}\n`);
          },
        });
      }
      try {
        const report = await verifyLedger({
          ledger,
          provider,
          trainingJobs: trainingJobs.address,
          fetchBlob:
            options.skipBlobs || token === undefined
              ? undefined
              : coordinatorBlobFetcher(options.coordinator, ledger.jobId, token),
          blobsSkippedBecause: options.skipBlobs ? undefined : NO_KEY_REASON,
          recomputeScores: recompute?.options,
        });
        const backend = recompute?.backend ?? "none";
        const recomputed = report.recomputed === null ? null : { ...report.recomputed, backend };
        const listed = await jobModels(provider, { ...options, chainId, jobId: report.jobId }, trainingJobs, context);
        process.stdout.write(
          options.json
            ? `${JSON.stringify(
                { ...report, recomputed, trainingJobsSource: trainingJobs.source, models: listed?.models ?? null },
                (_, item: unknown) => (typeof item === "bigint" ? item.toString() : item),
              )}\n`
            : `${formatLedgerReport(report, trainingJobs, backend)}${(listed?.lines ?? [`models listed from job ${report.jobId}: ${MODELS_UNREAD}`]).join("\n")}\n`,
        );
        process.exitCode = report.ok ? EXIT.ok : EXIT.finding;
      } finally {
        recompute?.dispose();
      }
    } finally {
      provider.destroy();
    }
  } catch (error) {
    reportUsageError(error, raw.json === true);
  }
}

export function registerLedgerCommand(program: Command, context: CommandContext = {}): void {
  const ledger = program.command("ledger").description("audit a training job's on-chain accounting");
  const verify = ledger
    .command("verify")
    .description(
      "check a job's ledger against the chain: roots recomputed from the leaves, blobs hashed, payouts recomputed (exit 0 agreed, 1 disagreements, 2 usage/connection errors)",
    )
    .requiredOption("--job <id>", "the job id on TrainingJobs")
    .requiredOption("--rpc <url>", "JSON-RPC URL of the job's chain (the roots are read from it)");
  addKeyOption(
    addCoordinatorOption(verify, "the ledger"),
    "auditor",
    " to sign in with and read the job's blobs (without a key only public data is checked)",
  )
    .option("--training-jobs <address>", "TrainingJobs address (default: from the deployment file)")
    .option(
      "--deployment <file>",
      "deployment file to take TrainingJobs from (default: contracts/deployments/<chainId>.json)",
    )
    .option(
      "--trust-coordinator-address",
      "without --training-jobs or a deployment file, audit against the TrainingJobs address the coordinator reports",
      false,
    )
    .option(
      "--skip-blobs",
      "do not fetch and hash update and model blobs (the report says they were not checked)",
      false,
    )
    .option(
      "--recompute-scores",
      "re-evaluate every round's contributions from the blobs and the job's published validation set (readable by all once the job completes) and compare them with the anchored scores: one model evaluation per coalition the job's scoring evaluated",
      false,
    )
    .option("--json", "print the report as one JSON line", false)
    .exitOverride(exitWithUsageCode)
    .action((options: Record<string, unknown>) => runLedgerVerify(options, context));
}
