import { ACTIVATION_LIMIT, type QuantisedModel } from "@tributary/deterministic-inference";
import { CircuitUnsupportedError } from "./circom-errors.js";
import { VALUES_PER_WORD, wordsFor } from "./packed-values.js";

/** One dense layer as the circuit evaluates it (see `Requantise` in circuits/fixed-point.circom). */
export interface CircuitDenseLayer {
  readonly op: "dense";
  readonly inputs: number;
  readonly units: number;
  readonly relu: boolean;
  /** F_W, the rescaling shift. */
  readonly shift: number;
  /** Bits that bound |acc + 2^(F_W − 1)| for every possible input (the range check's width is span + 1). */
  readonly span: number;
}

export type CircuitLayer = CircuitDenseLayer | { readonly op: "relu"; readonly size: number };

/** The circom 2 source of one model's inference circuit and what its public signals are. */
export interface InferenceCircuitSource {
  /** The main file; it includes `fixed-point.circom` (circuits/), which must sit beside it. */
  readonly source: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Public signals: the packed logits (outputs come first), then the packed inputs. */
  readonly outputWords: number;
  readonly inputWords: number;
  readonly layers: readonly CircuitLayer[];
}

/** The name of the main template: the circuit proves one example's logits. */
export const MAIN_TEMPLATE = "TributaryInference";
/** The largest input magnitude the circuit admits: inputs are range-checked to [−2^23, 2^23). */
const INPUT_BOUND = 2n ** 23n;

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** The bits that bound |bias + Σ a·w + half| over every |a| ≤ inputBound, for every unit of the layer. */
function spanOf(
  kernel: Int16Array,
  bias: Float64Array,
  inputs: number,
  units: number,
  shift: number,
  inputBound: bigint,
) {
  let largest = 0n;
  for (let j = 0; j < units; j++) {
    let weights = 0n;
    for (let i = 0; i < inputs; i++) weights += BigInt(Math.abs(kernel[i * units + j] as number));
    const bound = BigInt(Math.abs(bias[j] as number)) + weights * inputBound;
    if (bound > largest) largest = bound;
  }
  const half = shift === 0 ? 0n : 1n << BigInt(shift - 1);
  return Math.max(shift, bitLength(largest + half));
}

function plan(model: QuantisedModel): { layers: CircuitLayer[]; inputSize: number; outputSize: number } {
  const inputSize = model.inputShape.reduce((a, b) => a * b, 1);
  let size = inputSize;
  let bound = INPUT_BOUND;
  const layers: CircuitLayer[] = [];
  model.layers.forEach((layer, index) => {
    if (layer.op === "flatten") return;
    if (layer.op === "relu") {
      layers.push({ op: "relu", size });
      return;
    }
    if (layer.op !== "dense") {
      throw new CircuitUnsupportedError(`layer ${index} is ${layer.op}; the circuit covers dense and relu layers`, {
        index,
        op: layer.op,
      });
    }
    if (layer.inputs !== size) {
      throw new CircuitUnsupportedError(
        `layer ${index} is dense over ${layer.inputs} of ${size} values per example; the circuit covers dense layers over a whole vector`,
        { index, inputs: layer.inputs, size },
      );
    }
    const shift = layer.weightFractionBits;
    const span = spanOf(layer.kernel, layer.bias, layer.inputs, layer.units, shift, bound);
    if (span > 250)
      throw new CircuitUnsupportedError(`layer ${index}'s accumulators need ${span} bits`, { index, span });
    layers.push({ op: "dense", inputs: layer.inputs, units: layer.units, relu: layer.relu, shift, span });
    size = layer.units;
    bound = BigInt(ACTIVATION_LIMIT);
  });
  if (!layers.some((layer) => layer.op === "dense")) {
    throw new CircuitUnsupportedError("the model has no dense layer", {});
  }
  return { layers, inputSize, outputSize: size };
}

function integers(values: ArrayLike<number>, from: number, count: number, stride = 1): string {
  const out: string[] = [];
  for (let k = 0; k < count; k++) out.push(BigInt(values[from + k * stride] as number).toString());
  return `[${out.join(",")}]`;
}

/** A function returning layer `index`'s kernel as `[units][inputs]` and one returning its biases. */
function constants(index: number, kernel: Int16Array, bias: Float64Array, inputs: number, units: number): string {
  const rows: string[] = [];
  for (let j = 0; j < units; j++) rows.push(`        ${integers(kernel, j, inputs, units)}`);
  return [
    `function kernel${index}() {`,
    `    var w[${units}][${inputs}] = [\n${rows.join(",\n")}\n    ];`,
    "    return w;",
    "}",
    `function bias${index}() {`,
    `    var b[${units}] = ${integers(bias, 0, units)};`,
    "    return b;",
    "}",
  ].join("\n");
}

/**
 * The circom 2 source of `model`'s inference circuit, its weights compiled in as constants: the proof's public
 * signals are the packed inputs and logits of one example, and its verifying key exists for this model only.
 * Covers models of dense layers (with or without ReLU), stand-alone ReLUs and flattens, such as an MLP over 784
 * pixels; `CircuitUnsupportedError` for anything else.
 */
export function inferenceCircuitSource(model: QuantisedModel, modelHash: string): InferenceCircuitSource {
  const { layers, inputSize, outputSize } = plan(model);
  const inputWords = wordsFor(inputSize);
  const outputWords = wordsFor(outputSize);
  const functions: string[] = [];
  const body: string[] = [
    `    component request = UnpackValues(${inputSize}, ${VALUES_PER_WORD});`,
    "    request.packed <== packedInputs;",
  ];
  let current = "request.values";
  let dense = 0;
  layers.forEach((layer, index) => {
    const out = `a${index}`;
    if (layer.op === "relu") {
      body.push(
        `    signal ${out}[${layer.size}];`,
        `    component relu${index}[${layer.size}];`,
        `    for (var j = 0; j < ${layer.size}; j++) {`,
        `        relu${index}[j] = Relu();`,
        `        relu${index}[j].in <== ${current}[j];`,
        `        ${out}[j] <== relu${index}[j].out;`,
        "    }",
      );
    } else {
      const source = model.layers.filter((l) => l.op === "dense")[dense];
      if (source?.op !== "dense") throw new CircuitUnsupportedError("dense layers out of step", { index });
      functions.push(constants(index, source.kernel, source.bias, layer.inputs, layer.units));
      dense++;
      body.push(
        `    var k${index}[${layer.units}][${layer.inputs}] = kernel${index}();`,
        `    var b${index}[${layer.units}] = bias${index}();`,
        `    signal ${out}[${layer.units}];`,
        `    component q${index}[${layer.units}];`,
        `    for (var j = 0; j < ${layer.units}; j++) {`,
        `        var acc = b${index}[j];`,
        `        for (var i = 0; i < ${layer.inputs}; i++) acc += k${index}[j][i] * ${current}[i];`,
        `        q${index}[j] = Requantise(${layer.shift}, ${layer.span}, ${layer.relu ? 1 : 0}, ${ACTIVATION_LIMIT});`,
        `        q${index}[j].acc <== acc;`,
        `        ${out}[j] <== q${index}[j].out;`,
        "    }",
      );
    }
    current = out;
  });
  body.push(
    `    component response = PackValues(${outputSize}, ${VALUES_PER_WORD});`,
    `    response.values <== ${current};`,
    "    packedLogits <== response.packed;",
  );
  const source = [
    "pragma circom 2.1.0;",
    "",
    `// Generated by Tributary (zk-proofs/src/circom/inference-circuit-source.ts) from the quantised model ${modelHash}`,
    "// (SHA-256 of its canonical TDIM bytes). Do not edit: regenerate from the model.",
    "",
    'include "fixed-point.circom";',
    "",
    ...functions,
    "",
    `template ${MAIN_TEMPLATE}() {`,
    `    signal input packedInputs[${inputWords}];`,
    `    signal output packedLogits[${outputWords}];`,
    ...body,
    "}",
    "",
    `component main {public [packedInputs]} = ${MAIN_TEMPLATE}();`,
    "",
  ].join("\n");
  return { source, inputSize, outputSize, outputWords, inputWords, layers };
}
