import { type EzklSettings, outputLayout } from "./ezkl-settings.js";
import { feltToFloat } from "./felt.js";

/** The model's outputs among a proof's public values: the field elements and their values at the output scales. */
export interface PublicOutputs {
  readonly felts: string[][];
  readonly values: number[][];
}

/**
 * Reads the model's outputs from a proof's public values (`instances`, all columns in order), laid out as
 * `settings.model_instance_shapes` says; a string saying why when the proof does not have that layout.
 */
export function publicOutputs(
  settings: EzklSettings,
  instances: readonly (readonly string[])[],
): PublicOutputs | string {
  const flat = instances.flat();
  const layout = outputLayout(settings);
  if (flat.length !== layout.total) {
    return `the proof has ${flat.length} public values, settings.json model_instance_shapes describes ${layout.total}`;
  }
  if (layout.sizes.length !== settings.model_output_scales.length) {
    return `settings.json lists ${layout.sizes.length} public outputs but ${settings.model_output_scales.length} output scales`;
  }
  const felts: string[][] = [];
  let at = layout.offset;
  for (const size of layout.sizes) {
    felts.push(flat.slice(at, at + size));
    at += size;
  }
  return { felts, values: decodeOutputs(settings, felts) };
}

/** The model's outputs as field elements (one array per output) decoded at the settings' output scales. */
export function decodeOutputs(settings: EzklSettings, felts: readonly (readonly string[])[]): number[][] {
  return felts.map((output, i) => output.map((felt) => feltToFloat(felt, settings.model_output_scales[i] ?? 0)));
}
