import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Dataset, subsetDataset } from "./dataset.js";
import { encodeIdx } from "./idx-format.js";
import type { Partition } from "./partition-dataset.js";

export interface WriteIdxShardsOptions {
  /** File name prefix (default `client`): files are `<prefix>-<i>-images-idx3-ubyte` and `…-labels-idx1-ubyte`. */
  readonly prefix?: string;
  readonly gzip?: boolean;
}

/**
 * Writes each client's records as an MNIST-style IDX pair. 8-bit datasets (`featureScale` 1/255) are written as
 * ubyte, exactly as read; others as float32. Labels are ubyte up to 256 classes, int32 beyond. Returns the paths,
 * ready to be a `DatasetSource` of format `idx`.
 */
export async function writeIdxShards(
  dataset: Dataset,
  partition: Partition,
  outDir: string,
  options: WriteIdxShardsOptions = {},
): Promise<{ images: string; labels: string }[]> {
  await mkdir(outDir, { recursive: true });
  const prefix = options.prefix ?? "client";
  const gz = options.gzip === true ? ".gz" : "";
  const bytes = dataset.featureScale === 1 / 255;
  const imageType = bytes ? 0x08 : 0x0d;
  const labelType = dataset.numClasses <= 256 ? 0x08 : 0x0c;
  const rank = dataset.featureShape.length + 1;
  const written: { images: string; labels: string }[] = [];
  for (const [client, indices] of partition.entries()) {
    const shard = subsetDataset(dataset, indices);
    const images = path.join(outDir, `${prefix}-${client}-images-idx${rank}-${bytes ? "ubyte" : "float"}${gz}`);
    const labels = path.join(outDir, `${prefix}-${client}-labels-idx1-${labelType === 0x08 ? "ubyte" : "int"}${gz}`);
    await writeFile(
      images,
      encodeIdx(imageType, [shard.count, ...dataset.featureShape], shard.features, options.gzip === true),
    );
    await writeFile(labels, encodeIdx(labelType, [shard.count], shard.labels, options.gzip === true));
    written.push({ images, labels });
  }
  return written;
}
