import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { EzklArtifactsError } from "./ezkl-errors.js";
import { parseJsonFile } from "./ezkl-json-files.js";
import { type EzklSettings, EzklSettingsSchema } from "./ezkl-settings.js";

/** The file names a publisher's artifacts directory may use for each artifact, in the order they are looked for. */
export const EZKL_ARTIFACT_FILES = {
  compiledCircuit: ["model.compiled", "network.compiled", "network.ezkl"],
  settings: ["settings.json"],
  srs: ["kzg.srs", "kzg"],
} as const;

/**
 * What a model publisher who brings an EZKL model hands over, as written by the EZKL command-line tool on their
 * machine: the compiled circuit (`ezkl compile-circuit`), its settings and the KZG structured reference string for
 * its logrows (`ezkl get-srs`). The keys are derived from these here, never taken from the publisher.
 */
export interface EzklArtifacts {
  readonly dir: string;
  /** The file each artifact was read from (its name inside `dir`). */
  readonly files: { readonly compiledCircuit: string; readonly settings: string; readonly srs: string };
  readonly compiledCircuit: Uint8ClampedArray;
  readonly settings: EzklSettings;
  /** `settings.json` as it is, for the engine. */
  readonly settingsBytes: Uint8ClampedArray;
  readonly srs: Uint8ClampedArray;
}

async function pick(dir: string, names: readonly string[], what: string): Promise<string> {
  const present = new Set(await readdir(dir));
  const found = names.find((name) => present.has(name));
  if (found === undefined) {
    throw new EzklArtifactsError(dir, what, `missing: expected one of ${names.join(", ")} in the artifacts directory`);
  }
  return found;
}

/** The k (2^k rows) a KZG SRS is for: its first four bytes, little-endian, as halo2 writes `ParamsKZG`. */
function srsLogrows(srs: Uint8ClampedArray, file: string): number {
  const k = srs.length < 4 ? 0 : new DataView(srs.buffer, srs.byteOffset, 4).getUint32(0, true);
  if (k < 1 || k > 28) throw new EzklArtifactsError(file, "header", "not a KZG structured reference string");
  return k;
}

/**
 * Reads and checks a publisher's EZKL artifacts in `dir`. `settings.json` is parsed (a field this adapter needs
 * that is missing or unsupported is named); the SRS must be for exactly the settings' logrows, because the engine
 * derives the keys over the SRS as given.
 */
export async function loadEzklArtifacts(dir: string): Promise<EzklArtifacts> {
  const files = {
    compiledCircuit: await pick(dir, EZKL_ARTIFACT_FILES.compiledCircuit, "compiled circuit"),
    settings: await pick(dir, EZKL_ARTIFACT_FILES.settings, "settings"),
    srs: await pick(dir, EZKL_ARTIFACT_FILES.srs, "SRS"),
  };
  const read = async (name: string) => new Uint8ClampedArray(await readFile(path.join(dir, name)));
  const settingsBytes = await read(files.settings);
  const settings = parseJsonFile(EzklSettingsSchema, settingsBytes, files.settings);
  const srs = await read(files.srs);
  const k = srsLogrows(srs, files.srs);
  if (k !== settings.run_args.logrows) {
    throw new EzklArtifactsError(
      files.settings,
      "run_args.logrows",
      `is ${settings.run_args.logrows}, but the SRS ${files.srs} is for logrows ${k}: the settings and the SRS ` +
        "must be for the same circuit size",
      { logrows: settings.run_args.logrows, srsLogrows: k },
    );
  }
  return { dir, files, compiledCircuit: await read(files.compiledCircuit), settings, settingsBytes, srs };
}
