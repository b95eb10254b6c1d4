import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { sha256OfCid } from "@tributary/auditor";
import {
  bytesToWeights,
  decodeValidationSet,
  type JobSpec,
  layoutFromSpec,
  type ValidationSet,
} from "@tributary/protocol";

/** The `market` of `tributary up --json`'s last line. */
export interface Market {
  modelId: string;
  requests: number;
  accuracy: number;
  paidWei: string;
  providerRevenueWei: string;
  contributorRevenueWei: string;
  p50Ms: number;
  p99Ms: number;
}

/** What a finished run left on disk: the files the provider served, and the validation set its spec names. */
export interface RunModel {
  readonly spec: JobSpec;
  readonly weights: Float32Array;
  /** SHA-256 of the weight bytes, `0x`-prefixed. */
  readonly sha256: string;
  readonly validation: ValidationSet;
}

/**
 * Reads the run's model as the provider wrote it (`<run>/provider/model`: `weights.f32`, `job-spec.json`) and the
 * validation set its spec's scoring names, from the coordinator's blob store (`<run>/coordinator/blobs/<xx>/<cid>`),
 * checked against its CID.
 */
export async function readRunModel(dataDir: string): Promise<RunModel> {
  const runs = (await readdir(path.join(dataDir, "demo"))).filter((name) => name.startsWith("run-"));
  if (runs.length !== 1) throw new Error(`expected one run in ${dataDir}, found ${runs.length}`);
  const run = path.join(dataDir, "demo", runs[0] as string);
  const bytes = await readFile(path.join(run, "provider", "model", "weights.f32"));
  const spec = JSON.parse(await readFile(path.join(run, "provider", "model", "job-spec.json"), "utf8")) as JobSpec;
  if (spec.scoring.method === "examples") throw new Error("the job was scored by examples: no validation set");
  const cid = spec.scoring.validationSetCid;
  const blob = await readFile(path.join(run, "coordinator", "blobs", cid.slice(-2), cid));
  const digest = `0x${createHash("sha256").update(blob).digest("hex")}`;
  if (digest !== sha256OfCid(cid)) throw new Error(`the validation set blob does not hash to its CID ${cid}`);
  return {
    spec,
    weights: bytesToWeights(bytes),
    sha256: `0x${createHash("sha256").update(bytes).digest("hex")}`,
    validation: decodeValidationSet(blob),
  };
}

/**
 * The accuracy of a stack of dense layers (ReLU between them; the last one's argmax is the class) on the first
 * `count` examples, computed here in float64 from the flat weights and the spec's layout (each dense layer a kernel
 * `[in, out]`, row-major, then a bias `[out]`): the independent reference for the accuracy measured over HTTP.
 */
export function referenceAccuracy(run: RunModel, count: number): number {
  const layout = layoutFromSpec(run.spec.model);
  const layers: { offset: number; inputs: number; units: number; relu: boolean }[] = [];
  let offset = 0;
  for (let i = 0; i < layout.length; i += 2) {
    const [inputs, units] = (layout[i]?.shape ?? []) as [number, number];
    if (layout[i]?.shape.length !== 2 || layout[i + 1]?.shape[0] !== units) {
      throw new Error("the reference evaluates dense stacks only (kernel [in, out], bias [out])");
    }
    layers.push({ offset, inputs, units, relu: i + 2 < layout.length });
    offset += inputs * units + units;
  }
  const { validation, weights } = run;
  const size = validation.features.length / validation.count;
  let correct = 0;
  for (let example = 0; example < count; example++) {
    let x = Array.from(validation.features.subarray(example * size, (example + 1) * size));
    for (const layer of layers) {
      const out = new Array<number>(layer.units);
      for (let j = 0; j < layer.units; j++) {
        let sum = weights[layer.offset + layer.inputs * layer.units + j] as number;
        for (let i = 0; i < layer.inputs; i++)
          sum += (x[i] as number) * (weights[layer.offset + i * layer.units + j] as number);
        out[j] = layer.relu ? Math.max(0, sum) : sum;
      }
      x = out;
    }
    const predicted = x.indexOf(Math.max(...x));
    if (predicted === validation.labels[example]) correct++;
  }
  return correct / count;
}
