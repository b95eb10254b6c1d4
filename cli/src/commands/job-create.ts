import { AddressSchema, DatasetIdSchema, JobIdSchema, parseInput, prepareJobSpec } from "@tributary/protocol";
import { z } from "zod";
import { type ChainSession, withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext, CoordinatorOptionsShape } from "../chain/command-options.js";
import type { Output } from "../chain/output.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import {
  formatToken,
  parseTokenAmount,
  SpendOptionsShape,
  TokenAmountSchema,
  type TokenInfo,
  tokenInfo,
} from "../chain/spend.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { isInteractive } from "../cli-env.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { createJob } from "../job/create-job.js";
import { readJobSpecFile, readUserFile } from "../job/job-spec-file.js";
import { ProgressView } from "../job/progress-view.js";
import { type JobOutcome, type JobProgressSink, watchJob } from "../job/watch-job.js";

const base = { ...ChainOptionsShape, ...CoordinatorOptionsShape };

const CreateOptionsSchema = z.strictObject({
  ...base,
  ...KeyOptionsShape,
  ...SpendOptionsShape,
  spec: z.string().min(1),
  validationSet: z.string().min(1).optional(),
  rootDataset: z.string().min(1).optional(),
  reward: TokenAmountSchema,
  token: z.union([z.literal("TRIB"), AddressSchema]).default("TRIB"),
  datasets: z
    .string()
    .transform((list) => list.split(",").map((id) => id.trim()))
    .pipe(z.array(DatasetIdSchema).min(1))
    .optional(),
  rounds: z.coerce.number().int().positive().max(10_000).optional(),
  auditors: z
    .string()
    .transform((list) => list.split(",").map((address) => address.trim()))
    .pipe(z.array(AddressSchema).min(1).max(32))
    .optional(),
  coordinatorAddress: AddressSchema.optional(),
  adoptionTimeout: z.coerce.number().positive().max(86_400).default(120),
});

const WatchOptionsSchema = z.strictObject({
  ...base,
  id: JobIdSchema,
  poll: z.coerce.number().positive().max(3_600).default(1),
  finalizeTimeout: z.coerce.number().positive().max(86_400).default(600),
});

/** `--token TRIB` is the deployment's TributaryToken; any other ERC-20 is named by address. */
async function paymentToken(chain: ChainSession, token: string): Promise<TokenInfo> {
  const address = token === "TRIB" ? await chain.address("TributaryToken") : token;
  return tokenInfo(address, chain.provider);
}

/** `tributary job create SPEC`: checks, uploads, escrows on TrainingJobs and waits for the coordinator to adopt. */
export function runJobCreate(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(CreateOptionsSchema, raw, "job create options");
    const prepared = prepareJobSpec({
      spec: await readJobSpecFile(options.spec),
      datasetIds: options.datasets,
      rounds: options.rounds,
      auditors: options.auditors,
      validationSet:
        options.validationSet === undefined
          ? undefined
          : new Uint8Array(await readUserFile(options.validationSet, "--validation-set")),
      rootDataset:
        options.rootDataset === undefined
          ? undefined
          : new Uint8Array(await readUserFile(options.rootDataset, "--root-dataset")),
    });
    const wallet = await walletFor("researcher", options, out);
    await withChain(options, context, async (chain) => {
      const token = await paymentToken(chain, options.token);
      const reward = parseTokenAmount(options.reward, token, "--reward");
      const signer = wallet.connect(chain.provider);
      const coordinator = await CoordinatorClient.signIn(options.coordinator, signer, Number(chain.chainId));
      const created = await createJob(
        out,
        {
          chainId: chain.chainId,
          wallet: signer,
          trainingJobs: await chain.contract("TrainingJobs"),
          datasets: await chain.contract("DatasetRegistry"),
          ocean: (await chain.deployment()).deployment.ocean,
        },
        coordinator,
        {
          prepared,
          reward,
          token,
          approve: options.approve,
          coordinatorAddress: options.coordinatorAddress,
          adoptionTimeoutMs: options.adoptionTimeout * 1000,
        },
      );
      const transactions =
        created.spend.approval === undefined ? [created.createTx] : [created.spend.approval, created.createTx];
      out.done(
        {
          jobId: created.jobId,
          chainId: chain.chainId,
          researcher: signer.address.toLowerCase(),
          coordinator: created.coordinator,
          modelSpecHash: created.modelSpecHash,
          validationSetCid: created.validationSetCid,
          reward,
          token,
          rounds: created.spec.rounds,
          datasetIds: created.spec.datasetIds,
          transactions,
        },
        [
          `job ${created.jobId} created and adopted: ${created.spec.rounds} rounds on datasets ${created.spec.datasetIds.join(", ")}, ${formatToken(reward, token)} escrowed on TrainingJobs (transaction ${created.createTx.hash})`,
          `follow it with: tributary job watch ${created.jobId} --rpc ${options.rpc} --coordinator ${coordinator.url}`,
        ],
      );
    });
  });
}

/** The watch's summary: what the `--json` line holds and the human last line is made of. */
function summary(outcome: JobOutcome) {
  return {
    jobId: outcome.jobId,
    status: outcome.status,
    reason: outcome.reason,
    rounds: outcome.rounds,
    accuracy: outcome.accuracy,
    loss: outcome.loss,
    epsilonSpent: outcome.epsilonSpent,
    chain: outcome.chain ?? null,
    perRound: outcome.perRound,
  };
}

function describeOutcome(outcome: JobOutcome): string {
  const percent = (value: number | null) => (value === null ? "n/a" : `${(value * 100).toFixed(2)}%`);
  const chain = outcome.chain;
  const anchored =
    chain === undefined ? "" : `; ${chain.roundsAnchored} rounds anchored, ${chain.status} on TrainingJobs`;
  return `job ${outcome.jobId} ${outcome.status} after ${outcome.rounds} rounds: accuracy ${percent(outcome.accuracy)}, loss ${outcome.loss?.toFixed(4) ?? "n/a"}, ε ${outcome.epsilonSpent?.toFixed(3) ?? "∞ (no DP)"}${anchored}`;
}

/** What a failed or cancelled job's researcher can do next. */
function nextStep(outcome: JobOutcome): string {
  const chain = outcome.chain;
  if (chain === undefined || chain.status === "Cancelled" || chain.status === "Finalized") return "";
  return `; its escrow comes back with \`tributary job cancel ${outcome.jobId}\` once it has gone stale, after ${new Date(chain.staleAt * 1000).toISOString()}`;
}

/** No progress output with --json: only the summary line. */
const SILENT: JobProgressSink = { update: () => {}, note: () => {} };

function sinkFor(out: Output): JobProgressSink {
  return out.json ? SILENT : new ProgressView(isInteractive(), (text) => process.stdout.write(text));
}

/** `tributary job watch ID`: live rounds until the job ends; exit 0 completed, 1 failed or cancelled. */
export function runJobWatch(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(WatchOptionsSchema, raw, "job watch options");
    await withChain(options, context, async (chain) => {
      const outcome = await watchJob({
        coordinator: new CoordinatorClient(options.coordinator),
        jobId: options.id,
        sink: sinkFor(out),
        chain: { provider: chain.provider, trainingJobs: await chain.address("TrainingJobs") },
        pollMs: options.poll * 1000,
        finalizeTimeoutMs: options.finalizeTimeout * 1000,
      });
      if (outcome.status !== "completed") {
        throw new RefusedError(
          `JOB_${outcome.status.toUpperCase()}`,
          `job ${outcome.jobId} ${outcome.status}: ${outcome.reason ?? "no reason given"}${nextStep(outcome)}`,
          summary(outcome),
        );
      }
      out.done(summary(outcome), [describeOutcome(outcome)]);
    });
  });
}
