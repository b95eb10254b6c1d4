import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { CIRCUIT_MANIFEST, CircuitManifestSchema } from "./circuit-manifest.js";

/** Where the circuit artifacts set up for the models Tributary ships (`npm run zk:setup`) live. */
export const SHIPPED_CIRCUITS_DIR = path.resolve(import.meta.dirname, "../../artifacts");

/**
 * The artifacts directory (a subdirectory of one of `roots`) whose manifest names the model `modelHash` (its
 * ModelRegistry hash), or undefined. Directories without a readable manifest are skipped; `InferenceCircuit.load`
 * checks the one found.
 */
export async function findInferenceCircuit(
  modelHash: string,
  roots: readonly string[] = [SHIPPED_CIRCUITS_DIR],
): Promise<string | undefined> {
  for (const root of roots) {
    let entries: string[];
    try {
      entries = await readdir(root);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      const dir = path.join(root, entry);
      try {
        const manifest = CircuitManifestSchema.parse(
          JSON.parse(await readFile(path.join(dir, CIRCUIT_MANIFEST), "utf8")),
        );
        if (manifest.modelHash === modelHash.toLowerCase()) return dir;
      } catch {
        // Not an artifacts directory.
      }
    }
  }
  return undefined;
}
