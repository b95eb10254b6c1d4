/** @vitest-environment jsdom */

import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { encodeValidationSet } from "@tributary/protocol";
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
    fill(form, "2", "10");
    fireEvent.click(screen.getByLabelText("Dataset 1"));
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
    fill(form, "2", "10");
    fireEvent.click(screen.getByLabelText("Dataset 1"));
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
});
