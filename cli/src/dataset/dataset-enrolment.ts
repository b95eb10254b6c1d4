import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type Bytes32, type DatasetManifest, manifestBytes, manifestCid, TributaryError } from "@tributary/protocol";
import { loadDataset } from "@tributary/trainer-agent";
import { type DatasetDirOptions, type ResolvedDatasetDir, resolveDatasetDir } from "./dataset-dir.js";

/** The manifest file `dataset enrol` writes beside the data unless told otherwise. */
export const MANIFEST_FILE = "tributary-manifest.json";

/** A local dataset ready to enrol: its files, manifest, commitment and where the manifest was written. */
export interface PreparedEnrolment {
  readonly dir: ResolvedDatasetDir;
  readonly manifest: DatasetManifest;
  readonly commitment: Bytes32;
  /** The manifest's canonical JSON, byte for byte what the commitment hashes. */
  readonly manifestFile: string;
  /** `ipfs://<CID of the manifest file>` unless the owner gave its own. */
  readonly metadataURI: string;
}

/**
 * Reads and validates the dataset in `dir` through the trainer's own loader (`loadDataset`, the same path and
 * options `tributary trainer` takes), so the commitment is the one the trainer will present; writes the manifest's
 * canonical JSON to `manifestOut` (default `<dir>/tributary-manifest.json`). Its IPFS name (`ipfs://<CIDv1>`, whose
 * digest is the commitment) is the default metadata URI: whoever fetches it there can check it against the chain.
 */
export async function prepareEnrolment(
  dir: string,
  options: DatasetDirOptions & { readonly metadataURI?: string | undefined; readonly manifestOut?: string | undefined },
): Promise<PreparedEnrolment> {
  const resolved = await resolveDatasetDir(dir, options);
  const { manifest, commitment } = await loadDataset(resolved.source);
  const manifestFile = path.resolve(options.manifestOut ?? path.join(dir, MANIFEST_FILE));
  await writeFile(manifestFile, manifestBytes(manifest)).catch((error: NodeJS.ErrnoException) => {
    throw new TributaryError(
      "INVALID_INPUT",
      `cannot write the manifest to ${manifestFile} (${error.code ?? error.message}): choose another file with --manifest-out`,
      { cause: error },
    );
  });
  return {
    dir: resolved,
    manifest,
    commitment,
    manifestFile,
    metadataURI: options.metadataURI ?? `ipfs://${manifestCid(manifest)}`,
  };
}

/** The `tributary trainer` command that serves an enrolled dataset (the key comes from the environment or --keystore). */
export function trainerCommand(input: {
  readonly datasetId: string;
  readonly dir: ResolvedDatasetDir;
  readonly coordinator: string;
  readonly rpc: string;
  readonly deployment?: string | undefined;
  readonly epsilon: number;
  readonly delta: number;
}): string[] {
  return [
    "tributary",
    "trainer",
    "--coordinator",
    input.coordinator,
    "--dataset-id",
    input.datasetId,
    ...input.dir.trainerArgs,
    "--rpc",
    input.rpc,
    ...(input.deployment === undefined ? [] : ["--deployment", input.deployment]),
    "--budget-epsilon",
    String(input.epsilon),
    "--budget-delta",
    String(input.delta),
  ];
}
