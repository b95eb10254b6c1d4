import type { Bytes32 } from "@tributary/protocol";
import { C2dRefusalError } from "../c2d-refusal.js";
import { algorithmHash, type C2dAlgorithm } from "./c2d-algorithm.js";
import { dpCount } from "./dp-count.js";
import { dpHistogram } from "./dp-histogram.js";
import { dpMean } from "./dp-mean.js";
import { dpQuantiles } from "./dp-quantiles.js";
import { tributaryTrainStep } from "./tributary-train-step.js";

/** Every algorithm this version of Tributary can run (a node runs only those its owner allows). */
export const C2D_ALGORITHMS: readonly C2dAlgorithm[] = [
  dpCount as C2dAlgorithm,
  dpMean as C2dAlgorithm,
  dpHistogram as C2dAlgorithm,
  dpQuantiles as C2dAlgorithm,
  tributaryTrainStep as C2dAlgorithm,
];

/** An algorithm on an owner's allowlist, with the content hash the allowlist holds it at. */
export interface AllowedAlgorithm {
  readonly algorithm: C2dAlgorithm;
  readonly hash: Bytes32;
}

/** The algorithm named `name`, or `undefined`. */
export function findAlgorithm(name: string): C2dAlgorithm | undefined {
  return C2D_ALGORITHMS.find((algorithm) => algorithm.name === name);
}

/**
 * The owner's allowlist from `NAME` or `NAME@0xHASH` entries. A bare name allows the algorithm as this version
 * defines it; a pinned hash must be this version's (else the node refuses to start: its algorithm changed since
 * the owner pinned it, and the owner should review it before allowing it again).
 */
export function allowlist(entries: readonly string[]): AllowedAlgorithm[] {
  const names = C2D_ALGORITHMS.map((algorithm) => algorithm.name).join(", ");
  const allowed = entries.map((entry) => {
    const [name, pinned] = entry.trim().split("@") as [string, string | undefined];
    const algorithm = findAlgorithm(name);
    if (algorithm === undefined) {
      throw new C2dRefusalError("C2D_ALGORITHM_NOT_ALLOWED", `no algorithm ${name} (this version has ${names})`, {
        name,
      });
    }
    const hash = algorithmHash(algorithm);
    if (pinned !== undefined && pinned.toLowerCase() !== hash) {
      throw new C2dRefusalError(
        "C2D_ALGORITHM_NOT_ALLOWED",
        `${name} is pinned at ${pinned}, but this version's ${name} (v${algorithm.version}) hashes to ${hash}: review it and pin the new hash`,
        { name, pinned, hash },
      );
    }
    return { algorithm, hash };
  });
  if (allowed.length === 0) throw new C2dRefusalError("C2D_ALGORITHM_NOT_ALLOWED", `allow at least one of ${names}`);
  return allowed;
}
