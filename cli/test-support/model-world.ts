import { writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeValidationSet, type JobId } from "@tributary/protocol";
import { parseEther, type Wallet } from "ethers";
import { expect, vi } from "vitest";
import { ResearcherWorld, TINY_SPEC } from "./researcher-world.js";
import { jsonLine, tributary } from "./run-tributary.js";

/**
 * The researcher's held-out set: 6 examples of 4 features, labels 0/1. Examples 4 and 5 have the same features and
 * different labels, so no model classifies every example right (accuracy filters can be tested both ways).
 */
export const VALIDATION = {
  featureShape: [4],
  features: Float32Array.from(
    [
      [0.5, -1, 2, 0.25],
      [-1.5, 0.75, 0.5, 1],
      [2, 1, -0.5, -1],
      [0.25, 0.5, -2, 1.5],
      [1, -0.5, 0.75, -1.25],
      [1, -0.5, 0.75, -1.25],
    ].flat(),
  ),
  labels: Int32Array.from([0, 1, 1, 0, 0, 1]),
};

/** A finalised job with a validation set in a researcher's world, and the flags its commands take. */
export interface ModelWorld {
  readonly world: ResearcherWorld;
  readonly researcher: Wallet;
  readonly jobId: JobId;
  readonly specFile: string;
  /** `--rpc` and `--deployment`. */
  chainFlags(): string[];
  /** `chainFlags()` and `--coordinator`. */
  flags(): string[];
  close(): Promise<void>;
}

/**
 * A `ResearcherWorld` where a researcher (2,000 TRIB) created a 2-round job scored by GTG-Shapley on `VALIDATION`
 * with `tributary job create`, and the data owners trained it until it was finalised on chain.
 */
export async function startModelWorld(): Promise<ModelWorld> {
  const world = await ResearcherWorld.start();
  const researcher = await world.researcher(parseEther("2000"));
  const specFile = path.join(world.dir, "spec.json");
  await writeFile(specFile, JSON.stringify(TINY_SPEC));
  const setFile = path.join(world.dir, "validation.bin");
  await writeFile(setFile, encodeValidationSet(VALIDATION));
  const chainFlags = () => ["--rpc", world.chain.url, "--deployment", world.deploymentFile];
  const flags = () => [...chainFlags(), "--coordinator", world.coordinator.url];
  vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", researcher.privateKey);
  const created = await tributary(
    "job",
    "create",
    specFile,
    ...flags(),
    "--datasets",
    world.datasets.join(","),
    "--rounds",
    "2",
    "--reward",
    "50",
    "--validation-set",
    setFile,
    "--json",
  );
  expect(created.stderr).toBe("");
  const jobId = jsonLine(created.stdout).jobId as JobId;
  const [watched] = await Promise.all([
    tributary("job", "watch", jobId, ...flags(), "--poll", "0.1", "--json"),
    world.train(jobId, 2),
  ]);
  expect(jsonLine(watched.stdout)).toMatchObject({ ok: true, chain: { status: "Finalized" } });
  vi.unstubAllEnvs();
  return { world, researcher, jobId, specFile, chainFlags, flags, close: () => world.close() };
}

/**
 * Float64 reference of the job's model (dense 4 → 2, linear: kernel [4, 2] row-major, then bias [2]) on
 * `VALIDATION`: accuracy (argmax = label) and the mean squared error against the one-hot label, as Keras defines it.
 */
export function referenceScore(weights: Float32Array): { accuracy: number; loss: number } {
  let correct = 0;
  let loss = 0;
  const count = VALIDATION.labels.length;
  for (let example = 0; example < count; example++) {
    const x = VALIDATION.features.subarray(example * 4, example * 4 + 4);
    const outputs = [0, 1].map((out) =>
      x.reduce((sum, value, i) => sum + value * (weights[i * 2 + out] as number), weights[8 + out] as number),
    );
    const label = VALIDATION.labels[example] as number;
    const predicted = (outputs[1] as number) > (outputs[0] as number) ? 1 : 0;
    if (predicted === label) correct++;
    loss += outputs.reduce((sum, value, out) => sum + (value - (out === label ? 1 : 0)) ** 2, 0) / 2;
  }
  return { accuracy: correct / count, loss: loss / count };
}

/** `owner` stakes `amount` TRIB (sent from the deployer) with `tributary stake deposit`, as a provider does. */
export async function stakeAs(model: ModelWorld, owner: Wallet, amount: string): Promise<void> {
  if (owner.address !== model.researcher.address)
    await model.world.chain.transferTokens(owner.address, parseEther(amount));
  vi.stubEnv("TRIBUTARY_PROVIDER_KEY", owner.privateKey);
  const staked = await tributary("stake", "deposit", ...model.chainFlags(), "--amount", amount);
  expect(staked.stderr).toBe("");
  expect(staked.code).toBe(0);
}
