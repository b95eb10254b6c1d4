import { EzklArtifactsError } from "./ezkl-errors.js";
import type { EzklInput, EzklWitness } from "./ezkl-json-files.js";
import type { EzklSettings } from "./ezkl-settings.js";
import { feltToFloat, quantise } from "./felt.js";

function same(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Checks that `settings.json`'s scales describe the compiled circuit, against the witness the engine computed
 * from `input` with the circuit (whose own scales are compiled into it): each input quantised at the settings'
 * input scale must be the circuit's rescaled input, and each output decoded at the settings' output scale must be
 * the circuit's rescaled output. Settings whose scales differ would report another output than the one proved
 * (and the engine's verification does not read the scales), so they are refused, naming the field.
 */
export function checkSettingsScales(
  settings: EzklSettings,
  settingsFile: string,
  input: EzklInput,
  witness: EzklWitness,
): void {
  const { rescaled_inputs: circuitInputs, rescaled_outputs: circuitOutputs } = witness.pretty_elements;
  const count = (field: string, settingsCount: number, circuitCount: number) => {
    if (settingsCount !== circuitCount) {
      throw new EzklArtifactsError(
        settingsFile,
        field,
        `lists ${settingsCount} scales, but the compiled circuit has ${circuitCount}`,
      );
    }
  };
  count("model_input_scales", settings.model_input_scales.length, circuitInputs.length);
  count("model_output_scales", settings.model_output_scales.length, witness.outputs.length);
  settings.model_input_scales.forEach((scale, i) => {
    (input.input_data[i] ?? []).forEach((value, j) => {
      const circuit = Number(circuitInputs[i]?.[j]);
      const ours = quantise(value, scale);
      if (!same(circuit, ours)) {
        throw new EzklArtifactsError(
          settingsFile,
          `model_input_scales[${i}]`,
          `is ${scale}, which quantises input_data[${i}][${j}] = ${value} to ${ours}, but the compiled circuit ` +
            `quantises it to ${circuit}: the settings are not the circuit's`,
          { scale, value, settingsValue: ours, circuitValue: circuit },
        );
      }
    });
  });
  settings.model_output_scales.forEach((scale, i) => {
    (witness.outputs[i] ?? []).forEach((felt, j) => {
      const circuit = Number(circuitOutputs[i]?.[j]);
      const ours = feltToFloat(felt, scale);
      if (!same(circuit, ours)) {
        throw new EzklArtifactsError(
          settingsFile,
          `model_output_scales[${i}]`,
          `is ${scale}, which reads output ${i}[${j}] as ${ours}, but the compiled circuit's output is ${circuit}: ` +
            "the settings are not the circuit's",
          { scale, settingsValue: ours, circuitValue: circuit },
        );
      }
    });
  });
}
