import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InvalidInputError } from "@tributary/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EZKL_VECTORS, ezklVectorDigests, referenceOutput, sha256File } from "../../test-support/ezkl-reference.js";
import { type EzklArtifacts, loadEzklArtifacts } from "./ezkl-artifacts.js";
import { EzklCircuit, type EzklProofResult } from "./ezkl-circuit.js";
import { EzklArtifactsError } from "./ezkl-errors.js";
import { type EzklInput, EzklInputSchema, EzklProofSchema, parseJsonFile } from "./ezkl-json-files.js";
import { timeEzklProof } from "./ezkl-timing.js";

const scratch: string[] = [];

/** `settings.json` as plain JSON, to change a field of. */
interface SettingsJson {
  run_args: Record<string, unknown>;
  [field: string]: unknown;
}

/** A copy of the vectors with `settings.json` changed by `change`. */
async function artifactsWith(change: (settings: SettingsJson) => void): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tributary-ezkl-"));
  scratch.push(dir);
  await cp(EZKL_VECTORS, dir, { recursive: true });
  const settings = JSON.parse(await readFile(path.join(dir, "settings.json"), "utf8")) as SettingsJson;
  change(settings);
  await writeFile(path.join(dir, "settings.json"), JSON.stringify(settings));
  return dir;
}

/** The proof file with `change` applied to its JSON. */
function tampered(proof: Uint8Array, change: (json: { instances: string[][]; proof: number[] }) => void): Uint8Array {
  const json = JSON.parse(new TextDecoder().decode(proof));
  change(json);
  return new TextEncoder().encode(JSON.stringify(json));
}

const felt = (value: bigint) => value.toString(16).padStart(64, "0").match(/../g)?.reverse().join("") ?? "";

describe("EZKL artifacts with @ezkljs/engine", () => {
  let artifacts: EzklArtifacts;
  let circuit: EzklCircuit;
  let input: EzklInput;
  let proved: EzklProofResult;
  // An input whose outputs are not all 0 at scale 0: the reference gives [2, 3, 3, 0].
  const changedInput: EzklInput = { input_data: [[1, -2, -3]] };

  beforeAll(async () => {
    artifacts = await loadEzklArtifacts(EZKL_VECTORS);
    circuit = new EzklCircuit(artifacts);
    input = parseJsonFile(EzklInputSchema, await readFile(path.join(EZKL_VECTORS, "input.json")), "input.json");
    proved = circuit.prove(input);
  });

  afterAll(async () => {
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("uses EZKL's own vectors, unchanged", () => {
    const digests = ezklVectorDigests();
    expect(Object.keys(digests).sort()).toEqual([
      "input.json",
      "kzg",
      "model.compiled",
      "network.onnx",
      "settings.json",
    ]);
    for (const [file, digest] of Object.entries(digests)) expect(sha256File(file), file).toBe(digest);
  });

  it("reads the publisher's model as input.json expects: its float output rounded to 1/32 is output_data", () => {
    const float = referenceOutput(input.input_data[0] ?? []);
    expect(float.map((value) => Math.round(value * 32) / 32)).toEqual([0.28125, 0.65625, 0, 0]);
    expect(input.output_data).toEqual([[0.28125, 0.65625, 0, 0]]);
  });

  it("proves and verifies the input; the public output is the fixed-point model at the settings' scale 0", () => {
    expect(proved.verified).toBe(true);
    expect(proved.output).toEqual([referenceOutput(input.input_data[0] ?? [], 0)]);
    expect(proved.output).toEqual([[0, 0, 0, 0]]);
    // At scale 0 the circuit is coarser than the quantisation output_data was written with (see the vectors' README).
    expect(proved.output).not.toEqual(input.output_data);
    expect(circuit.verify(proved.proof, input)).toEqual({ verified: true, output: [[0, 0, 0, 0]] });
  });

  it("proves another input's output, the reference's, and refuses the first proof for that input", () => {
    const other = circuit.prove(changedInput);
    expect(other.verified).toBe(true);
    expect(other.output).toEqual([referenceOutput([1, -2, -3], 0)]);
    expect(other.output).toEqual([[2, 3, 3, 0]]);
    const verification = circuit.verify(proved.proof, changedInput);
    expect(verification.verified).toBe(false);
    expect(verification).toMatchObject({ output: [[0, 0, 0, 0]] });
    if (!verification.verified)
      expect(verification.reason).toMatch(/not the circuit's output on this input, \[\[2,3,3,0\]\]/);
  });

  it("does not verify a proof with a flipped byte", () => {
    for (const index of [0, 7000]) {
      const verification = circuit.verify(
        tampered(proved.proof, (json) => {
          json.proof[index] = (json.proof[index] ?? 0) ^ 1;
        }),
      );
      expect(verification, `byte ${index}`).toMatchObject({
        verified: false,
        reason: expect.stringMatching(/^Verification failed/),
      });
    }
  });

  it("does not verify a proof whose public output was altered", () => {
    const altered = tampered(proved.proof, (json) => {
      json.instances[0] = [felt(0n), felt(1n), felt(0n), felt(0n)];
    });
    const verification = circuit.verify(altered);
    expect(verification).toMatchObject({ verified: false, output: [[0, 1, 0, 0]] });
  });

  it("refuses settings with other logrows than the SRS, naming the field", async () => {
    const dir = await artifactsWith((settings) => {
      settings.run_args.logrows = 7;
    });
    const refusal = loadEzklArtifacts(dir);
    await expect(refusal).rejects.toBeInstanceOf(EzklArtifactsError);
    await expect(refusal).rejects.toThrow("settings.json run_args.logrows: is 7, but the SRS kzg is for logrows 6");
  });

  it("refuses settings with another scale than the circuit's, naming the field", async () => {
    const dir = await artifactsWith((settings) => {
      settings.run_args.input_scale = 5;
      settings.model_input_scales = [5];
      settings.model_output_scales = [5];
    });
    const wrong = new EzklCircuit(await loadEzklArtifacts(dir));
    expect(() => wrong.witness(input)).toThrow(
      /^settings\.json model_input_scales\[0\]: is 5, which quantises input_data\[0\]\[0\] = 1\.5417295 to 1\.53125, but the compiled circuit quantises it to 2/,
    );
    // Integer inputs are the same at every scale: the outputs' scale is caught then.
    expect(() => wrong.witness(changedInput)).toThrow(
      /^settings\.json model_output_scales\[0\]: is 5, which reads output 0\[0\] as 0\.0625, but the compiled circuit's output is 2/,
    );
    expect(() => wrong.prove(input)).toThrow(EzklArtifactsError);
  });

  it("does not verify against settings whose circuit layout is not the circuit's, and the engine recovers", async () => {
    const dir = await artifactsWith((settings) => {
      settings.run_args.num_inner_cols = 1;
    });
    const verification = new EzklCircuit(await loadEzklArtifacts(dir)).verify(proved.proof);
    expect(verification).toMatchObject({ verified: false, reason: expect.stringMatching(/^the engine aborted/) });
    // The engine instance that panicked is dropped; the next verification runs on a fresh one.
    expect(circuit.verify(proved.proof).verified).toBe(true);
  });

  it("refuses settings this adapter cannot report on, and malformed files, naming file and field", async () => {
    const dir = await artifactsWith((settings) => {
      settings.run_args.output_visibility = "Private";
    });
    await expect(loadEzklArtifacts(dir)).rejects.toThrow(
      /invalid settings\.json: settings\.json\.run_args\.output_visibility: must be "Public"/,
    );
    expect(() =>
      parseJsonFile(EzklInputSchema, new TextEncoder().encode('{"input_data": [[1, "x"]]}'), "input.json"),
    ).toThrow(/input\.json\.input_data\[0\]\[1\]/);
    expect(() => circuit.verify(new TextEncoder().encode("{"))).toThrow(InvalidInputError);
    expect(() =>
      parseJsonFile(EzklProofSchema, new TextEncoder().encode('{"instances": [["zz"]], "proof": [1]}'), "proof.json"),
    ).toThrow(/proof\.json\.instances\[0\]\[0\]/);
    await rm(path.join(dir, "kzg"));
    await expect(loadEzklArtifacts(dir)).rejects.toThrow(/SRS: missing: expected one of kzg\.srs, kzg/);
  });

  it("times a proof for benchmarks, and the timed proof verifies", () => {
    const timings = timeEzklProof(artifacts, input);
    expect(timings.verified).toBe(true);
    expect(
      Object.values(timings)
        .filter((value) => typeof value === "number")
        .every((ms) => ms >= 0),
    ).toBe(true);
  });
});
