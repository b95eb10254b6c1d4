import type { Bytes32, ModelSpec, ModelSpecInput } from "@tributary/protocol";
import { sha256 } from "ethers";
import { FixedPointRunner } from "./fixed-point-runner.js";
import { deterministicRequestHash, deterministicResponseHash } from "./inference-hashes.js";
import { decodeQuantisedModel, encodeQuantisedModel } from "./model-bytes.js";
import { dequantise, quantiseInputs } from "./quantise-inputs.js";
import { type QuantiseOptions, quantiseModel } from "./quantise-model.js";
import type { QuantisedModel } from "./quantised-model.js";

/** One deterministic answer: what was computed, and the two hashes anyone recomputes. */
export interface DeterministicAnswer {
  readonly count: number;
  /** The quantised inputs, `inputSize` per example. */
  readonly inputs: Int32Array;
  /** The integer logits (at F_A fractional bits), `outputSize` per example. */
  readonly logits: Int32Array;
  readonly requestHash: Bytes32;
  readonly responseHash: Bytes32;
}

/**
 * A quantised model ready to answer: its canonical bytes' hash computed once, a runner with its scratch buffers. The
 * provider, a buyer, a challenger or a committee member each build one from the same float weights (or the same
 * bytes) and get the same `modelHash`, `requestHash` and `responseHash` for the same float32 inputs.
 */
export class DeterministicModel {
  readonly model: QuantisedModel;
  readonly modelHash: Bytes32;
  readonly #runner: FixedPointRunner;

  private constructor(model: QuantisedModel, bytes: Uint8Array) {
    this.model = model;
    this.modelHash = sha256(bytes) as Bytes32;
    this.#runner = new FixedPointRunner(model);
  }

  /** Quantises a trained model (`quantiseModel`). */
  static fromFloat(
    spec: ModelSpec | ModelSpecInput,
    weights: Float32Array,
    options?: QuantiseOptions,
  ): DeterministicModel {
    const model = quantiseModel(spec, weights, options);
    return new DeterministicModel(model, encodeQuantisedModel(model));
  }

  /** A model from its canonical bytes (`decodeQuantisedModel`). */
  static fromBytes(bytes: Uint8Array): DeterministicModel {
    return new DeterministicModel(decodeQuantisedModel(bytes), Uint8Array.from(bytes));
  }

  /** The model as one example's values in, logits out. */
  get inputSize(): number {
    return this.#runner.plan.inputSize;
  }
  get outputSize(): number {
    return this.#runner.plan.outputSize;
  }
  get outputShape(): readonly number[] {
    const { shapes } = this.#runner.plan;
    return shapes[shapes.length - 1] as number[];
  }

  /** Integer logits of quantised inputs (whole examples). */
  run(inputs: Int32Array): Int32Array {
    return this.#runner.run(inputs);
  }

  /** The float32 inputs of one or more whole examples → quantised inputs, logits, `requestHash`, `responseHash`. */
  infer(floats: Float32Array): DeterministicAnswer {
    const inputs = quantiseInputs(this.model, floats);
    const logits = this.run(inputs);
    const requestHash = deterministicRequestHash(this.modelHash, this.inputSize, inputs);
    return {
      count: inputs.length / this.inputSize,
      inputs,
      logits,
      requestHash,
      responseHash: deterministicResponseHash(requestHash, this.outputSize, logits),
    };
  }

  /** Logits (or any fixed-point values of this model) as reals. */
  dequantise(values: Int32Array): Float64Array {
    return dequantise(this.model, values);
  }
}
