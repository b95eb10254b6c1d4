/** @vitest-environment jsdom */

import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { encodeValidationSet, JobSpecSchema } from "@tributary/protocol";
import { parseEther } from "ethers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RegistryDataset } from "./job-draft.js";
import { JobForm, type JobRequest } from "./job-form.js";

afterEach(cleanup);

/** Two datasets at 5 and 2.5 TRIB per round; the third deactivated. */
const DATASETS: RegistryDataset[] = [
  {
    id: "1",
    owner: "0x1111111111111111111111111111111111111111",
    active: true,
    pricePerRound: parseEther("5"),
    epsilon: 8,
    delta: 1e-5,
  },
  {
    id: "2",
    owner: "0x2222222222222222222222222222222222222222",
    active: true,
    pricePerRound: parseEther("2.5"),
    epsilon: 4,
    delta: 1e-5,
  },
  {
    id: "3",
    owner: "0x3333333333333333333333333333333333333333",
    active: false,
    pricePerRound: 0n,
    epsilon: 1,
    delta: 1e-5,
  },
] as RegistryDataset[];

/** A model of 4 features → 3 classes (15 parameters). */
const MODEL = {
  inputShape: [4],
  layers: [{ type: "dense", units: 3, activation: "softmax" }],
  loss: "sparseCategoricalCrossentropy",
  numClasses: 3,
};

function setup() {
  const onSubmit = vi.fn<(request: JobRequest) => void>();
  render(<JobForm datasets={DATASETS} busy={false} onSubmit={onSubmit} />);
  const type = (label: string | RegExp, value: string) =>
    fireEvent.change(screen.getByLabelText(label), { target: { value } });
  const submit = () => fireEvent.click(screen.getByRole("button", { name: "Create the job" }));
  return { onSubmit, type, submit };
}

/** The problem the form shows beside the input labelled `label` (its aria-describedby). */
function problemOf(label: string | RegExp): string | null {
  const input = screen.getByLabelText(label);
  const id = input.getAttribute("aria-describedby");
  return id === null ? null : (document.getElementById(id)?.textContent ?? null);
}

function fill(form: ReturnType<typeof setup>, rounds: string, reward: string) {
  form.type("Job name", "fraud detector");
  form.type("Model (ModelSpec JSON)", JSON.stringify(MODEL));
  form.type("Rounds", rounds);
  form.type(/^Reward/, reward);
}

/** A job of 2 rounds on dataset 1 for 10 TRIB. */
function fillOneDataset(form: ReturnType<typeof setup>) {
  fill(form, "2", "10");
  fireEvent.click(screen.getByLabelText("Dataset 1"));
}

/** SecAgg+ with t = 3 of k = 4 neighbours, updates clipped to ±0.5. */
function turnOnSecureAggregation(form: ReturnType<typeof setup>) {
  fireEvent.click(screen.getByLabelText("Secure aggregation (SecAgg+)"));
  form.type("Threshold t (neighbours needed to unmask)", "3");
  form.type("Neighbours k (even)", "4");
  form.type("Per-coordinate clip of an update", "0.5");
}

/** What a CLI user writes in SPEC.json for the job `fill(form, "2", …)` types. */
const WRITTEN = { name: "fraud detector", model: MODEL, rounds: 2, learningRate: 0.1 };

/** Submits the form and returns the spec it handed on (it must hand on one). */
function submittedSpec(form: ReturnType<typeof setup>) {
  form.submit();
  expect(form.onSubmit).toHaveBeenCalledTimes(1);
  const [request] = form.onSubmit.mock.calls[0] as [JobRequest];
  return request.prepared.spec;
}

describe("JobForm", () => {
  it("names each field protocol's JobSpec schema refuses, beside its input, and submits nothing", () => {
    const form = setup();
    form.type("Rounds", "0");
    form.type("Learning rate", "fast");
    form.submit();
    expect(problemOf("Job name")).toMatch(/^JobSpec\.name: /);
    expect(problemOf("Rounds")).toMatch(/^JobSpec\.rounds: Too small/);
    expect(problemOf("Learning rate")).toMatch(/^JobSpec\.learningRate: /);
    expect(screen.getByRole("group", { name: "Datasets on DatasetRegistry" }).getAttribute("aria-invalid")).toBe(
      "true",
    );
    expect(screen.getByLabelText("Rounds").getAttribute("aria-invalid")).toBe("true");
    expect(form.onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a reward below Σ price per round × rounds of the datasets chosen, and shows that sum", () => {
    const form = setup();
    fill(form, "3", "22.4");
    fireEvent.click(screen.getByLabelText("Dataset 1"));
    fireEvent.click(screen.getByLabelText("Dataset 2"));
    // (5 + 2.5) × 3 = 22.5 TRIB.
    expect(screen.getByTestId("reward-needed").textContent).toContain("22.5 TRIB");
    form.submit();
    expect(problemOf(/^Reward/)).toBe(
      "Reward 22.4 TRIB does not cover what the chosen datasets ask: Σ price per round × 3 rounds = 22.5 TRIB",
    );
    expect(form.onSubmit).not.toHaveBeenCalled();
    expect((screen.getByLabelText("Dataset 3 (deactivated)") as HTMLInputElement).disabled).toBe(true);
  });

  it("checks the validation set against the model before anything is uploaded", async () => {
    const form = setup();
    fillOneDataset(form);
    const wrong = encodeValidationSet({
      featureShape: [5],
      features: new Float32Array(10),
      labels: Int32Array.from([0, 1]),
    });
    const input = screen.getByLabelText(/^Validation set/);
    fireEvent.change(input, { target: { files: [new File([wrong as BlobPart], "held-out.bin")] } });
    await screen.findByTestId("validation-picked");
    form.submit();
    expect(problemOf(/^Validation set/)).toBe("ValidationSet.featureShape: is 5, the model takes 4");
    expect(form.onSubmit).not.toHaveBeenCalled();
  });

  it("hands on the parsed spec, scored by GTG-Shapley on the set, and the reward in base units", async () => {
    const form = setup();
    fillOneDataset(form);
    const set = encodeValidationSet({
      featureShape: [4],
      features: new Float32Array(12),
      labels: Int32Array.from([0, 2, 1]),
    });
    fireEvent.change(screen.getByLabelText(/^Validation set/), {
      target: { files: [new File([set as BlobPart], "held-out.bin")] },
    });
    expect((await screen.findByTestId("validation-picked")).textContent).toBe(
      `held-out.bin: ${set.byteLength} bytes read`,
    );
    form.submit();
    expect(form.onSubmit).toHaveBeenCalledTimes(1);
    const request = form.onSubmit.mock.calls[0]?.[0] as JobRequest;
    expect(request.reward).toBe(10n * 10n ** 18n);
    expect(request.prepared.spec.datasetIds).toEqual(["1"]);
    expect(request.prepared.spec.rounds).toBe(2);
    expect(request.prepared.spec.scoring.method).toBe("gtg-shapley");
    // Dense 4 → 3: a 4×3 kernel and 3 biases.
    expect(request.prepared.parameters).toBe(15);
    expect(request.prepared.validationSet?.decoded.labels).toEqual(Int32Array.from([0, 2, 1]));
  });

  it("asks for FLTrust's root dataset beside its own input, and hands it on separate from the validation set", async () => {
    const form = setup();
    fillOneDataset(form);
    expect(screen.queryByLabelText(/^Root dataset/)).toBeNull();
    form.type("Aggregation strategy", "fltrust");
    form.submit();
    expect(problemOf(/^Root dataset/)).toMatch(/^JobSpec\.strategy\.rootDatasetCid: is missing: fltrust trains/);
    const root = (labels: number[]) =>
      encodeValidationSet({
        featureShape: [4],
        features: new Float32Array(labels.length * 4),
        labels: Int32Array.from(labels),
      });
    fireEvent.change(screen.getByLabelText(/^Root dataset/), {
      target: {
        files: [
          new File(
            [
              encodeValidationSet({
                featureShape: [5],
                features: new Float32Array(5),
                labels: Int32Array.from([1]),
              }) as BlobPart,
            ],
            "root.bin",
          ),
        ],
      },
    });
    await screen.findByTestId("root-picked");
    form.submit();
    expect(problemOf(/^Root dataset/)).toBe("ValidationSet.featureShape: is 5, the model takes 4");
    expect(problemOf(/^Validation set/)).toBeNull();
    const good = root([2, 0, 1, 1]);
    fireEvent.change(screen.getByLabelText(/^Root dataset/), {
      target: { files: [new File([good as BlobPart], "root.bin")] },
    });
    expect((await screen.findByTestId("root-picked")).textContent).toBe(`root.bin: ${good.byteLength} bytes read`);
    form.submit();
    expect(form.onSubmit).toHaveBeenCalledTimes(1);
    const request = form.onSubmit.mock.calls[0]?.[0] as JobRequest;
    expect(request.prepared.spec.strategy.name).toBe("fltrust");
    expect(request.prepared.rootDataset?.decoded.labels).toEqual(Int32Array.from([2, 0, 1, 1]));
    expect(request.prepared.validationSet).toBeUndefined();
  });

  it("builds the spec the JobSpec schema makes of the same file a CLI user writes: FedAdam, DP-SGD, cosine, auditors", () => {
    const form = setup();
    fill(form, "2", "15");
    fireEvent.click(screen.getByLabelText("Dataset 1"));
    fireEvent.click(screen.getByLabelText("Dataset 2"));
    form.type("Trainers per round (minimum)", "2");
    form.type("Aggregation strategy", "fedadam");
    // FedAdam's β₁, β₂ and τ come filled with the schema's defaults; its server learning rate has none.
    expect((screen.getByLabelText("β₁ (first-moment decay)") as HTMLInputElement).value).toBe("0.9");
    expect((screen.getByLabelText("Server learning rate") as HTMLInputElement).value).toBe("");
    form.type("Server learning rate", "0.01");
    form.type("FedProx μ (proximal term)", "0.01");
    form.type("Largest update norm accepted (L2)", "5");
    form.type("Trainers per round (maximum)", "10");
    form.type("Round timeout (seconds)", "120");
    form.type("Differential privacy", "dp-sgd");
    form.type("Clipping norm C (per example, L2)", "1");
    form.type("Target ε (the whole job, per dataset)", "6");
    form.type("δ", "1e-5");
    form.type("Learning-rate schedule", "cosine");
    form.type("Final fraction of the learning rate", "0.05");
    form.type(
      "Auditors (addresses)",
      "0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa,\n0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    );
    // Dataset 2's budget is ε = 4: below the 6 the job targets.
    expect(screen.getByTestId("dp-spend").textContent).toContain("Beyond the budget of dataset 2 (ε = 4, δ = 0.00001)");
    const spec = submittedSpec(form);
    const written = {
      ...WRITTEN,
      datasetIds: ["1", "2"],
      clients: { min: 2, max: 10 },
      strategy: { name: "fedadam", serverLr: 0.01 },
      proximalMu: 0.01,
      maxUpdateNorm: 5,
      roundTimeoutS: 120,
      dp: { mode: "dp-sgd", l2NormClip: 1, targetEpsilon: 6, delta: 0.00001 },
      learningRateSchedule: { kind: "cosine", finalFraction: 0.05 },
      auditors: ["0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa", "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],
    };
    expect(spec).toEqual(JobSpecSchema.parse(written));
    expect(spec.strategy).toEqual({
      name: "fedadam",
      serverLr: 0.01,
      beta1: 0.9,
      beta2: 0.99,
      tau: 1e-3,
    });
  });

  it("builds a secure-aggregation spec as the schema does, with every other option at the schema's default", () => {
    const form = setup();
    fillOneDataset(form);
    form.type("Trainers per round (minimum)", "4");
    turnOnSecureAggregation(form);
    const written = {
      ...WRITTEN,
      datasetIds: ["1"],
      clients: { min: 4 },
      secureAggregation: { threshold: 3, neighbours: 4, quantisation: { clip: 0.5 } },
    };
    expect(submittedSpec(form)).toEqual(JobSpecSchema.parse(written));
  });

  it("offers every strategy of protocol's schema, each with its own parameters only", () => {
    setup();
    const strategies = [...(screen.getByLabelText("Aggregation strategy") as HTMLSelectElement).options];
    // The twelve rules the aggregation workspace implements (FedAvg family, then the robust ones), in the schema's order.
    const documented =
      "fedavg fedavgm fedadagrad fedadam fedyogi krum multikrum trimmedmean median bulyan centredclip fltrust";
    expect(strategies.map((option) => option.value)).toEqual(documented.split(" "));
    expect(screen.queryByLabelText("Server momentum")).toBeNull();
    fireEvent.change(screen.getByLabelText("Aggregation strategy"), { target: { value: "multikrum" } });
    expect(screen.getByLabelText("Byzantine trainers tolerated (f)")).toBeTruthy();
    expect(screen.getByLabelText("Updates averaged (m)")).toBeTruthy();
    expect(screen.queryByLabelText("Server learning rate")).toBeNull();
    const scoring = [...(screen.getByLabelText("Scoring method") as HTMLSelectElement).options];
    expect(scoring.map((option) => option.value)).toEqual(["", "examples", "leave-one-out", "gtg-shapley"]);
  });

  it("puts secure aggregation with a robust rule, and too few trainers for its threshold, beside their inputs", () => {
    const form = setup();
    fillOneDataset(form);
    form.type("Trainers per round (minimum)", "3");
    form.type("Aggregation strategy", "krum");
    form.type("Byzantine trainers tolerated (f)", "1");
    turnOnSecureAggregation(form);
    form.submit();
    expect(problemOf("Secure aggregation (SecAgg+)")).toMatch(
      /^JobSpec\.secureAggregation: secure aggregation reveals only the sum .* strategy krum needs every update/,
    );
    expect(problemOf("Trainers per round (minimum)")).toMatch(
      /^JobSpec\.clients\.min: must exceed secureAggregation\.threshold \(3\)/,
    );
    expect(problemOf("Aggregation strategy")).toBeNull();
    expect(form.onSubmit).not.toHaveBeenCalled();
  });

  it("names a secure-aggregation number left empty beside its own input", () => {
    const form = setup();
    fillOneDataset(form);
    form.type("Trainers per round (minimum)", "4");
    turnOnSecureAggregation(form);
    form.type("Per-coordinate clip of an update", "");
    form.submit();
    expect(problemOf("Per-coordinate clip of an update")).toMatch(/^JobSpec\.secureAggregation\.quantisation\.clip: /);
    expect(problemOf("Secure aggregation (SecAgg+)")).toBeNull();
    expect(form.onSubmit).not.toHaveBeenCalled();
  });

  it("puts DP parameters out of the schema's range beside each, and opens the advanced part", () => {
    const form = setup();
    fillOneDataset(form);
    form.type("Differential privacy", "dp-sgd");
    form.type("Clipping norm C (per example, L2)", "-1");
    form.type("Target ε (the whole job, per dataset)", "150");
    form.type("δ", "1");
    expect((document.querySelector("details.advanced") as HTMLDetailsElement).open).toBe(false);
    form.submit();
    expect(problemOf("Clipping norm C (per example, L2)")).toMatch(
      /^JobSpec\.dp\.l2NormClip: Too small: expected number to be >0/,
    );
    expect(problemOf("Target ε (the whole job, per dataset)")).toMatch(
      /^JobSpec\.dp\.targetEpsilon: Too big: expected number to be <=100/,
    );
    expect(problemOf("δ")).toMatch(/^JobSpec\.dp\.delta: Too big: expected number to be <1/);
    expect(problemOf("Noise multiplier σ/C (empty: calibrated to the target ε)")).toBeNull();
    expect((document.querySelector("details.advanced") as HTMLDetailsElement).open).toBe(true);
    expect(form.onSubmit).not.toHaveBeenCalled();
  });

  it("asks for a validation set beside its input when the scoring uses one, and refuses one examples cannot use", async () => {
    const form = setup();
    fillOneDataset(form);
    form.type("Scoring method", "leave-one-out");
    form.submit();
    expect(problemOf(/^Validation set/)).toMatch(
      /^JobSpec\.scoring\.validationSetCid: is missing: leave-one-out scores on/,
    );
    expect(problemOf("Scoring method")).toBeNull();
    const set = encodeValidationSet({
      featureShape: [4],
      features: new Float32Array(8),
      labels: Int32Array.from([0, 1]),
    });
    fireEvent.change(screen.getByLabelText(/^Validation set/), {
      target: { files: [new File([set as BlobPart], "held-out.bin")] },
    });
    await screen.findByTestId("validation-picked");
    form.type("Scoring method", "examples");
    form.submit();
    expect(problemOf("Scoring method")).toMatch(/^JobSpec\.scoring\.method: is examples, which uses no validation set/);
    expect(problemOf(/^Validation set/)).toBeNull();
    expect(form.onSubmit).not.toHaveBeenCalled();
  });
});
