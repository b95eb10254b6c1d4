import { DatasetFormatError } from "./dataset-format-error.js";
import { type IdxArray, maybeGunzip, parseIdx } from "./idx-format.js";
import { checkLabels, type ParsedRecords } from "./parsed-records.js";

/**
 * One MNIST-style pair: an images file (`idx3-ubyte`: count × rows × cols, or any IDX with ≥ 2 dimensions) and a
 * labels file (`idx1-ubyte`: count), either gzipped or not. Checks magic numbers, exact lengths, that the counts
 * agree and that every label is a class index. 8-bit images get `featureScale = 1/255`.
 */
export async function parseIdxPair(
  images: { name: string; bytes: Uint8Array },
  labels: { name: string; bytes: Uint8Array },
  numClasses: number,
): Promise<ParsedRecords> {
  const x: IdxArray = parseIdx(await maybeGunzip(images.bytes, images.name), images.name);
  const y: IdxArray = parseIdx(await maybeGunzip(labels.bytes, labels.name), labels.name);
  if (x.dims.length < 2) {
    throw new DatasetFormatError(images.name, `an images file needs ≥ 2 dimensions, found [${x.dims.join(", ")}]`);
  }
  if (y.dims.length !== 1) {
    throw new DatasetFormatError(labels.name, `a labels file has 1 dimension, found [${y.dims.join(", ")}]`);
  }
  if (y.type === 0x0d || y.type === 0x0e) {
    throw new DatasetFormatError(labels.name, "labels must be stored as integers, not floats");
  }
  const count = x.dims[0] ?? 0;
  if (y.dims[0] !== count) {
    throw new DatasetFormatError(
      labels.name,
      `${y.dims[0]} labels for ${count} images in ${images.name}: the counts must match`,
    );
  }
  checkLabels(y.values, numClasses, labels.name);
  return {
    features: x.values instanceof Float32Array ? x.values : Float32Array.from(x.values),
    labels: y.values as Int32Array,
    featureShape: x.dims.slice(1),
    featureScale: x.type === 0x08 ? 1 / 255 : 1,
  };
}
