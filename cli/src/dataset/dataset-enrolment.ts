import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { DatasetRegistry } from "@tributary/contracts/typed";
import { type Bytes32, type DatasetManifest, manifestBytes, manifestCid, TributaryError } from "@tributary/protocol";
import { loadDataset } from "@tributary/trainer-agent";
import type { Provider } from "ethers";
import type { Output } from "../chain/output.js";
import { formatToken, type TokenInfo } from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { waitForIndexing } from "./coordinator-indexing.js";
import { enrolledDatasetId, planEnrol } from "./dataset-changes.js";
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

/** What `enrolDataset` needs of the chain: the owner's account and DatasetRegistry connected to its signer. */
export interface OwnerChain {
  readonly chainId: bigint;
  readonly provider: Provider;
  /** The owner's address: the enrolment's sender and the dataset's owner. */
  readonly owner: string;
  /** DatasetRegistry, connected to the owner's signer. */
  readonly registry: DatasetRegistry;
}

/** A data owner's enrolment: its data, its terms and, optionally, the coordinator that must index it. */
export interface EnrolRequest {
  /** The directory of the data, read where it lies. */
  readonly dir: string;
  /** How its files are read (as `tributary trainer` will), the metadata URI and where the manifest is written. */
  readonly read: DatasetDirOptions & {
    readonly metadataURI?: string | undefined;
    readonly manifestOut?: string | undefined;
  };
  /** In `token`'s base units. */
  readonly pricePerRound: bigint;
  /** The token prices are stated in (for the lines printed). */
  readonly token: TokenInfo;
  readonly epsilon: number;
  readonly delta: number;
  /** Waits until this coordinator has indexed the enrolment (a trainer started before would be refused). */
  readonly coordinator?: { readonly url: string; readonly timeoutMs: number } | undefined;
}

/** A dataset enrolled on DatasetRegistry. */
export interface EnrolledDataset {
  readonly prepared: PreparedEnrolment;
  readonly datasetId: string;
  readonly transaction: MinedTransaction;
  /** With a coordinator: whether it indexed the dataset in time (undefined without one). */
  readonly indexed: boolean | undefined;
}

/** Waits for the coordinator to index dataset `id` with `commitment`, with a progress bar on a terminal. */
async function waitForCoordinator(
  out: Output,
  coordinator: NonNullable<EnrolRequest["coordinator"]>,
  id: string,
  commitment: string,
): Promise<boolean> {
  const waiting = out.progress(`waiting for ${coordinator.url} to index dataset ${id}`);
  try {
    return await waitForIndexing({
      url: coordinator.url,
      id,
      commitment,
      timeoutMs: coordinator.timeoutMs,
      onWait: (elapsed) => waiting.update(elapsed / coordinator.timeoutMs),
    });
  } finally {
    waiting.end();
  }
}

/**
 * `tributary dataset enrol`'s core (the demo's owners enrol through it too): builds the manifest of the data in
 * `dir` with the trainer's own loader (`prepareEnrolment`), registers its commitment and the owner's terms on
 * DatasetRegistry from the owner's key (`sendAndWait`: a refusal is the contract's decoded error, nothing is sent
 * when the gas estimate reverts), reads the new dataset's id from the receipt and, with a coordinator, waits until
 * it has indexed the dataset with that commitment.
 */
export async function enrolDataset(out: Output, chain: OwnerChain, request: EnrolRequest): Promise<EnrolledDataset> {
  const prepared = await prepareEnrolment(request.dir, request.read);
  const { manifest, commitment } = prepared;
  out.say(
    `dataset in ${request.dir}: ${manifest.recordCount} ${manifest.format} records of shape [${manifest.featureShape}], ${manifest.numClasses} classes, ${manifest.shards.length} file(s)`,
  );
  out.say(`manifest written to ${prepared.manifestFile} (commitment ${commitment})`);
  out.say(
    `enrolling from ${chain.owner} on chain ${chain.chainId}: price ${formatToken(request.pricePerRound, request.token)} per round, ε ${request.epsilon}, δ ${request.delta}, metadata ${prepared.metadataURI}; it spends only gas`,
  );
  const transaction = await sendAndWait(
    out,
    planEnrol(chain.registry, commitment, {
      metadataURI: prepared.metadataURI,
      pricePerRound: request.pricePerRound,
      epsilon: request.epsilon,
      delta: request.delta,
    }),
  );
  const receipt = await chain.provider.getTransactionReceipt(transaction.hash);
  if (receipt === null) {
    throw new TributaryError("CHAIN_ERROR", `the node has no receipt for the mined transaction ${transaction.hash}`);
  }
  const datasetId = enrolledDatasetId(chain.registry, receipt);
  const indexed =
    request.coordinator === undefined
      ? undefined
      : await waitForCoordinator(out, request.coordinator, datasetId, commitment);
  return { prepared, datasetId, transaction, indexed };
}

/**
 * The `tributary trainer` command that serves an enrolled dataset (the key comes from the environment or
 * --keystore; with --rpc the trainer enforces the ε/δ budget the dataset enrolled, so it takes no budget flags).
 */
export function trainerCommand(input: {
  readonly datasetId: string;
  readonly dir: ResolvedDatasetDir;
  readonly coordinator: string;
  readonly rpc: string;
  readonly deployment?: string | undefined;
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
  ];
}
