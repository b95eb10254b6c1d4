import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeValidationSet, FEDAVG_CNN, MLP_784_200_200_10 } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idxBytes, mnistPackageDigits } from "../../../trainer-agent/test-support/mnist-package.js";
import { tributary } from "../../test-support/run-tributary.js";

const COUNT = 20;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-validation-set-"));
  const digits = mnistPackageDigits();
  const data = path.join(dir, "heldout");
  await mkdir(data);
  await writeFile(
    path.join(data, "heldout-images-idx3-ubyte"),
    idxBytes([COUNT, 28, 28], digits.images.subarray(0, COUNT * 784)),
  );
  await writeFile(path.join(data, "heldout-labels-idx1-ubyte"), idxBytes([COUNT], digits.labels.subarray(0, COUNT)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function specFile(name: string, model: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify({ name, model, rounds: 1, learningRate: 0.05 }));
  return file;
}

describe("tributary job validation-set", () => {
  it("encodes the held-out digits as the trainers feed them (pixels / 255), shaped for the spec's model", async () => {
    const digits = mnistPackageDigits();
    for (const [name, model, shape] of [
      ["mlp.json", MLP_784_200_200_10, [784]],
      ["cnn.json", FEDAVG_CNN, [28, 28, 1]],
    ] as const) {
      const out = path.join(dir, `${name}.bin`);
      const result = await tributary(
        "job",
        "validation-set",
        path.join(dir, "heldout"),
        "--spec",
        await specFile(name, model),
        "--out",
        out,
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`wrote ${out}: ${COUNT} records shaped [${shape}] for the model`);
      const set = decodeValidationSet(new Uint8Array(await readFile(out)));
      expect(set.featureShape).toEqual(shape);
      expect([...set.labels]).toEqual([...digits.labels.subarray(0, COUNT)]);
      const pixels = digits.images.subarray(0, COUNT * 784);
      expect([...set.features]).toEqual([...pixels].map((byte) => Math.fround(byte / 255)));
    }
  });

  it("refuses a model whose input the records do not fit", async () => {
    const spec = await specFile("wide.json", { ...MLP_784_200_200_10, inputShape: [100] });
    const result = await tributary("job", "validation-set", path.join(dir, "heldout"), "--spec", spec, "--out", "x");
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: the held-out records have 784 features each, the model takes 100\n");
  });
});
