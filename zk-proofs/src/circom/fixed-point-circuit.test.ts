import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FixedPointRunner, type QuantisedModel, quantisedModelHash } from "@tributary/deterministic-inference";
import { WitnessCalculatorBuilder } from "circom_runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokenConstraints, freeWires, type R1cs, readR1cs } from "../../test-support/r1cs-check.js";
import { compileCircuit } from "./circom-compiler.js";
import { CircuitUnsupportedError } from "./circom-errors.js";
import { inferenceCircuitSource } from "./inference-circuit-source.js";
import { packValues, unpackValues } from "./packed-values.js";

// A model small enough to compute by hand, compiled with circom2 here (no trusted setup: the witness and the
// constraints are what is checked). S = 2^23 − 1, the saturation limit.
//   layer 1: dense 3 → 2, ReLU, F_W = 2 (acc → ⌊(acc + 2) / 4⌋): kernel rows (per input) [3, −2], [1, 4], [−5, 1];
//            biases [2, −7]
//   layer 2: dense 2 → 2, F_W = 1 (acc → ⌊(acc + 1) / 2⌋): kernel rows [1, −1], [4, −6]; biases [1, 0]
const S = 2 ** 23 - 1;
const TINY: QuantisedModel = {
  activationFractionBits: 12,
  inputShape: [3],
  layers: [
    {
      op: "dense",
      inputs: 3,
      units: 2,
      relu: true,
      weightFractionBits: 2,
      kernel: Int16Array.from([3, -2, 1, 4, -5, 1]),
      bias: Float64Array.from([2, -7]),
    },
    {
      op: "dense",
      inputs: 2,
      units: 2,
      relu: false,
      weightFractionBits: 1,
      kernel: Int16Array.from([1, -1, 4, -6]),
      bias: Float64Array.from([1, 0]),
    },
  ],
};

// Worked by hand:
// [10, −3, 4]: acc¹ = [2 + 30 − 3 − 20, −7 − 20 − 12 + 4] = [9, −35] → [⌊11/4⌋, ⌊−33/4⌋] = [2, −9] → ReLU [2, 0];
//              acc² = [1 + 2, −2] → [⌊4/2⌋, ⌊−1/2⌋] = [2, −1]
// [0, 0, 0]:   acc¹ = [2, −7] → [⌊4/4⌋, ⌊−5/4⌋] = [1, −2] → [1, 0] (0.5 rounds up to 1);
//              acc² = [2, −1] → [⌊3/2⌋, ⌊0/2⌋] = [1, 0] (−0.5 rounds up to 0)
// [S, S, S]:   acc¹ = [2 − S, 3S − 7] → [⌊(4 − S)/4⌋ < 0, (3S − 5)/4 = 6,291,454] → [0, 6,291,454];
//              acc² = [1 + 25,165,816, −37,748,724] → [12,582,909 → S, −18,874,362 → −S] (saturated both ways)
const CASES: ReadonlyArray<readonly [readonly number[], readonly number[]]> = [
  [
    [10, -3, 4],
    [2, -1],
  ],
  [
    [0, 0, 0],
    [1, 0],
  ],
  [
    [S, S, S],
    [S, -S],
  ],
];

let dir: string;
let r1cs: R1cs;
let calculator: { calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]> };
const witnessOf = (inputs: readonly number[]) =>
  calculator.calculateWitness({ packedInputs: packValues(Int32Array.from(inputs)) }, true);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-circuit-"));
  const source = inferenceCircuitSource(TINY, quantisedModelHash(TINY));
  const compiled = await compileCircuit(dir, "tiny", source.source);
  r1cs = readR1cs(compiled.r1cs);
  calculator = await WitnessCalculatorBuilder(new Uint8Array(await readFile(compiled.wasm)), { sanityCheck: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the fixed-point inference circuit on a model computed by hand", () => {
  it.each(CASES)("inputs %j: logits %j, every constraint satisfied", async (inputs, logits) => {
    const witness = await witnessOf(inputs);
    expect(Array.from(unpackValues(witness.slice(1, 2), 2))).toEqual(logits);
    expect(brokenConstraints(r1cs, witness)).toEqual([]);
  });

  it("agrees with deterministic-inference's runner on the same cases", () => {
    const runner = new FixedPointRunner(TINY);
    for (const [inputs, logits] of CASES) expect(Array.from(runner.run(Int32Array.from(inputs)))).toEqual(logits);
  });

  it("leaves no signal free: changing any one wire of a valid witness breaks a constraint", async () => {
    const witness = await witnessOf([10, -3, 4]);
    expect(witness.length).toBe(r1cs.wires);
    expect(freeWires(r1cs, witness)).toEqual([]);
  });

  it("has no witness for a claimed logit one off: the claimed response is refused by the constraints", async () => {
    const witness = await witnessOf([10, -3, 4]);
    const claimed = witness.slice();
    claimed[1] = packValues(Int32Array.from([2, 0]))[0] as bigint; // the true logits are [2, −1]
    expect(brokenConstraints(r1cs, claimed).length).toBeGreaterThan(0);
  });

  it("has no witness for a packed input word with bits above its values (each input is 24 bits)", async () => {
    const word = packValues(Int32Array.from([10, -3, 4]))[0] as bigint;
    await expect(calculator.calculateWitness({ packedInputs: [word] }, true)).resolves.toBeDefined();
    await expect(calculator.calculateWitness({ packedInputs: [word | (1n << 72n)] }, true)).rejects.toThrow();
  });
});

// A model whose accumulators can never pass the saturation limit, so the circuit skips the comparisons (`top < 23`):
//   layer 1: dense 1 → 1, ReLU, F_W = 10, weight 1, bias 0 (|acc + 2^9| < 2^24: span 24, 14 bits of quotient)
//   layer 2: dense 1 → 1, F_W = 20, weight −3,000, bias 0 (|acc + 2^19| < 2^35: span 35, 15 bits of quotient)
// [700,000]: ⌊700,512 / 1,024⌋ = 684; ⌊(−2,052,000 + 524,288) / 1,048,576⌋ = ⌊−1.457⌋ = −2
// [S]:       ⌊8,389,119 / 1,024⌋ = 8,192; ⌊(−24,576,000 + 524,288) / 1,048,576⌋ = ⌊−22.94⌋ = −23
// [−5,000]:  ⌊−4,488 / 1,024⌋ = −5 → ReLU 0; ⌊524,288 / 1,048,576⌋ = 0
const UNSATURATED: QuantisedModel = {
  activationFractionBits: 12,
  inputShape: [1],
  layers: [
    {
      op: "dense",
      inputs: 1,
      units: 1,
      relu: true,
      weightFractionBits: 10,
      kernel: Int16Array.from([1]),
      bias: Float64Array.from([0]),
    },
    {
      op: "dense",
      inputs: 1,
      units: 1,
      relu: false,
      weightFractionBits: 20,
      kernel: Int16Array.from([-3000]),
      bias: Float64Array.from([0]),
    },
  ],
};

describe("the circuit where no accumulator can saturate", () => {
  it("takes the branch without comparisons, and still matches the hand computation and the runner", async () => {
    const source = inferenceCircuitSource(UNSATURATED, quantisedModelHash(UNSATURATED));
    expect(source.layers).toMatchObject([
      { shift: 10, span: 24 },
      { shift: 20, span: 35 },
    ]);
    const compiled = await compileCircuit(path.join(dir, "unsaturated"), "unsaturated", source.source);
    const constraints = readR1cs(compiled.r1cs);
    const unsaturated = await WitnessCalculatorBuilder(new Uint8Array(await readFile(compiled.wasm)), {
      sanityCheck: true,
    });
    const runner = new FixedPointRunner(UNSATURATED);
    for (const [input, logit] of [
      [700_000, -2],
      [S, -23],
      [-5_000, 0],
    ] as const) {
      const witness = await unsaturated.calculateWitness({ packedInputs: packValues(Int32Array.from([input])) }, true);
      expect(Array.from(unpackValues(witness.slice(1, 2), 1))).toEqual([logit]);
      expect(brokenConstraints(constraints, witness)).toEqual([]);
      expect(Array.from(runner.run(Int32Array.from([input])))).toEqual([logit]);
      expect(freeWires(constraints, witness)).toEqual([]);
    }
  });
});

describe("what the circuit covers", () => {
  it("refuses a convolution, naming the layer", () => {
    const conv: QuantisedModel = {
      activationFractionBits: 12,
      inputShape: [2, 2, 1],
      layers: [
        {
          op: "conv2d",
          kernelSize: [1, 1],
          strides: [1, 1],
          padding: "valid",
          inChannels: 1,
          filters: 1,
          relu: false,
          weightFractionBits: 0,
          kernel: Int16Array.from([1]),
          bias: Float64Array.from([0]),
        },
      ],
    };
    expect(() => inferenceCircuitSource(conv, quantisedModelHash(conv))).toThrow(CircuitUnsupportedError);
    expect(() => inferenceCircuitSource(conv, quantisedModelHash(conv))).toThrow(/layer 0 is conv2d/);
  });
});
