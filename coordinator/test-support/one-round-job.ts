import { createHash } from "node:crypto";
import {
  type Bytes32,
  type DatasetId,
  type JobId,
  type ModelUpdateHeader,
  signModelUpdate,
  type TrainInstruction,
  tributaryDomain,
  weightsToBytes,
} from "@tributary/protocol";
import { Wallet } from "ethers";
import { ok, signInAs, until } from "./rest.js";
import { ScriptedTrainer } from "./scripted-trainer.js";
import { testManifest } from "./test-manifest.js";

/** What `runOneRoundJob` did, to compare with what the coordinator reports. */
export interface OneRoundJob {
  readonly jobId: JobId;
  readonly datasetId: DatasetId;
  readonly trainer: ScriptedTrainer;
  /** The ε the accepted update signed as its dataset's cumulative spending. */
  readonly epsilonSpent: number;
  /** The update sent again after it was accepted (refused as a duplicate). */
  readonly duplicates: number;
}

/**
 * Drives one job of one training round and its final evaluation on a coordinator at `url` through its public
 * surfaces: a dataset enrolled by its owner, the owner's scripted trainer signed in over socket.io, a job created by a
 * researcher, one signed update (declaring `epsilonSpent`), the same update once more (a duplicate, refused), one
 * evaluation, and the job completed. `onCreated` runs once the job exists, before its trainer joins it.
 */
export async function runOneRoundJob(
  url: string,
  epsilonSpent = 0.75,
  onCreated: (jobId: JobId) => Promise<void> = async () => {},
): Promise<OneRoundJob> {
  const owner = Wallet.createRandom();
  const { manifest, commitment } = testManifest(50, `one-round ${owner.address}`);
  const dataset = await ok<{ id: DatasetId }>(
    url,
    "POST",
    "/datasets",
    {
      owner: owner.address.toLowerCase(),
      name: "one round",
      commitment,
      recordCount: 50,
      epsilonBudget: 8,
      deltaBudget: 1e-5,
    },
    await signInAs(url, owner),
  );
  const trainer = await ScriptedTrainer.connect(url, owner as unknown as Wallet, dataset.id, { manifest });
  const job = await ok<{ id: JobId }>(
    url,
    "POST",
    "/jobs",
    {
      name: "one round",
      model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
      datasetIds: [dataset.id],
      rounds: 1,
      learningRate: 0.1,
      clients: { min: 1, max: 1 },
    },
    await signInAs(url, Wallet.createRandom()),
  );
  await onCreated(job.id);
  const joined = await trainer.join(job.id);
  if (!joined.ok) throw new Error(`join refused: ${joined.code}: ${joined.message}`);
  const { instruction } = await trainer.next();
  const delta = Float32Array.from({ length: 10 }, (_, i) => (i - 5) / 100);
  const bytes = weightsToBytes(delta);
  const header: ModelUpdateHeader = {
    jobId: job.id,
    round: instruction.round,
    trainer: trainer.address,
    datasetId: dataset.id,
    numExamples: 50,
    updateHash: `0x${createHash("sha256").update(bytes).digest("hex")}` as Bytes32,
    metrics: { loss: 0.5 },
    epsilonSpent,
    delta: 1e-5,
    nonce: (instruction as TrainInstruction).nonce,
  };
  const signed = await signModelUpdate(
    owner,
    tributaryDomain(trainer.hello.chainId, trainer.hello.verifyingContract),
    header,
  );
  const accepted = await trainer.send(signed, bytes);
  if (!accepted.ok) throw new Error(`update refused: ${accepted.code}: ${accepted.message}`);
  const duplicate = await trainer.send(signed, bytes);
  if (duplicate.ok) throw new Error("the duplicate update was accepted");
  const evaluation = await trainer.next();
  if (evaluation.kind !== "evaluate") throw new Error(`expected the evaluation, got ${evaluation.kind}`);
  const evaluated = await trainer.evaluate(evaluation.instruction, { evalAccuracy: 0.5 }, 10);
  if (!evaluated.ok) throw new Error(`evaluation refused: ${evaluated.code}: ${evaluated.message}`);
  await until("the job to complete", async () => {
    const state = await ok<{ status: string; error: string | null }>(url, "GET", `/jobs/${job.id}`);
    if (state.status === "failed") throw new Error(`job failed: ${state.error}`);
    return state.status === "completed" ? true : undefined;
  });
  return { jobId: job.id, datasetId: dataset.id, trainer, epsilonSpent, duplicates: 1 };
}

/** A Prometheus text exposition parsed into samples: `name{labels} value` lines (comments skipped). */
export function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, "$1");
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}
