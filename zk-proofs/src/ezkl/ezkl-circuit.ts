import type { EzklArtifacts } from "./ezkl-artifacts.js";
import { type EzklEngine, engineFailureReason, withEzklEngine } from "./ezkl-engine.js";
import { EzklArtifactsError, EzklEngineError } from "./ezkl-errors.js";
import {
  type EzklInput,
  EzklProofSchema,
  type EzklWitness,
  EzklWitnessSchema,
  parseJsonFile,
} from "./ezkl-json-files.js";
import { decodeOutputs, publicOutputs } from "./public-outputs.js";
import { checkSettingsScales } from "./settings-scales.js";

/** What a verification found: the proof's public output, and why it was not verified when it was not. */
export type EzklVerification =
  | { readonly verified: true; readonly output: number[][] }
  | { readonly verified: false; readonly output: number[][] | null; readonly reason: string };

/** A proof made from a publisher's artifacts, as EZKL's `proof.json` (which EZKL's own tool reads too), verified. */
export type EzklProofResult = EzklVerification & { readonly proof: Uint8Array };

/** The verifying key's header as halo2 writes it: a version byte (3), then k. */
const VK_VERSION = 3;

function clamped(bytes: Uint8Array): Uint8ClampedArray {
  return new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function engineStep<T>(step: string, run: (engine: EzklEngine) => T): T {
  try {
    return withEzklEngine(run);
  } catch (error) {
    throw new EzklEngineError(step, engineFailureReason(error), error);
  }
}

/**
 * A publisher's EZKL circuit with `@ezkljs/engine`: witness, keys (derived once from the compiled circuit and the
 * SRS, kept for the instance's life), proof and verification. Each call blocks its thread while the engine works
 * (about 2 s to prove, under a second to verify, for the small test circuit).
 */
export class EzklCircuit {
  #verifyingKey: Uint8ClampedArray | undefined;
  #provingKey: Uint8ClampedArray | undefined;

  constructor(readonly artifacts: EzklArtifacts) {}

  /**
   * The witness of `input` (the circuit evaluated on it), after checking that the settings' scales are the
   * circuit's (`EzklArtifactsError` otherwise).
   */
  witness(input: EzklInput): { bytes: Uint8Array; witness: EzklWitness } {
    const { compiledCircuit, settings, files } = this.artifacts;
    const bytes = engineStep("generate the witness", (engine) =>
      engine.genWitness(compiledCircuit, clamped(new TextEncoder().encode(JSON.stringify(input)))),
    );
    const witness = parseJsonFile(EzklWitnessSchema, bytes, "the engine's witness");
    checkSettingsScales(settings, files.settings, input, witness);
    return { bytes, witness };
  }

  /** The verifying key, derived from the compiled circuit and the SRS (selectors compressed, as `ezkl setup`). */
  verifyingKey(): Uint8ClampedArray {
    if (this.#verifyingKey === undefined) {
      const { compiledCircuit, srs, settings, files } = this.artifacts;
      const key = clamped(engineStep("derive the verifying key", (engine) => engine.genVk(compiledCircuit, srs, true)));
      if (key[0] !== VK_VERSION || key[1] !== settings.run_args.logrows) {
        throw new EzklArtifactsError(
          files.settings,
          "run_args.logrows",
          `is ${settings.run_args.logrows}, but the verifying key derived from ${files.compiledCircuit} has k = ${key[1]}`,
        );
      }
      this.#verifyingKey = key;
    }
    return this.#verifyingKey;
  }

  /** The proving key, derived from the verifying key, the compiled circuit and the SRS. */
  provingKey(): Uint8ClampedArray {
    if (this.#provingKey === undefined) {
      const { compiledCircuit, srs } = this.artifacts;
      const vk = this.verifyingKey();
      this.#provingKey = clamped(
        engineStep("derive the proving key", (engine) => engine.genPk(vk, compiledCircuit, srs)),
      );
    }
    return this.#provingKey;
  }

  /** A proof of a witness (from `witness`), as EZKL's `proof.json` bytes, not yet verified. */
  proveWitness(witness: Uint8Array): Uint8Array {
    const { compiledCircuit, srs } = this.artifacts;
    const pk = this.provingKey();
    return engineStep("prove", (engine) => engine.prove(clamped(witness), pk, compiledCircuit, srs));
  }

  /** Proves the circuit on `input` and verifies the proof. */
  prove(input: EzklInput): EzklProofResult {
    const proof = this.proveWitness(this.witness(input).bytes);
    return { ...this.verify(proof), proof };
  }

  /**
   * Verifies an EZKL proof file against the circuit's verifying key, the settings and the SRS, and reads the
   * output it makes public. With `input`, the output must also be the circuit's output on that input (the proof
   * does not show a private input: whoever checks it against an input evaluates the circuit on it).
   */
  verify(proofFile: Uint8Array, input?: EzklInput): EzklVerification {
    const proof = parseJsonFile(EzklProofSchema, proofFile, "proof.json");
    const { settings, settingsBytes, srs } = this.artifacts;
    const outputs = publicOutputs(settings, proof.instances);
    const output = typeof outputs === "string" ? null : outputs.values;
    const vk = this.verifyingKey();
    let verified: boolean;
    try {
      verified = withEzklEngine((engine) => engine.verify(clamped(proofFile), vk, settingsBytes, srs));
    } catch (error) {
      return { verified: false, output, reason: engineFailureReason(error) };
    }
    if (!verified) return { verified: false, output, reason: "the engine found the proof invalid" };
    if (typeof outputs === "string") return { verified: false, output, reason: outputs };
    if (input !== undefined) {
      const expected = this.witness(input).witness.outputs;
      if (JSON.stringify(expected) !== JSON.stringify(outputs.felts)) {
        const shown = JSON.stringify(decodeOutputs(settings, expected));
        return {
          verified: false,
          output: outputs.values,
          reason: `the proof's output ${JSON.stringify(outputs.values)} is not the circuit's output on this input, ${shown}`,
        };
      }
    }
    return { verified: true, output: outputs.values };
  }
}
