import type { JobLedger } from "@tributary/protocol";
import { hexlify } from "ethers";
import type { ReportBuilder } from "./ledger-report.js";

/** SHA-256 as 0x-hex, through WebCrypto (native in browsers and Node alike, and fast on model-sized blobs). */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hexlify(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

export type FetchBlob = (cid: string) => Promise<Uint8Array | undefined>;

/**
 * Fetches every update and model blob the ledger names and checks that its SHA-256 is the leaf's `updateHash` /
 * the round's `modelHash` (the values the anchored roots commit to). A blob that cannot be fetched (`undefined`
 * or a thrown error) is counted as not checked. One blob at a time: updates can be large, and memory matters more
 * than the minutes of an audit.
 */
export async function verifyBlobs(report: ReportBuilder, ledger: JobLedger, fetchBlob: FetchBlob | undefined) {
  const hashes = new Map<string, string | undefined>();
  const hashOf = async (cid: string): Promise<string | undefined> => {
    if (hashes.has(cid)) return hashes.get(cid);
    let bytes: Uint8Array | undefined;
    try {
      bytes = fetchBlob === undefined ? undefined : await fetchBlob(cid);
    } catch {
      bytes = undefined;
    }
    const hash = bytes === undefined ? undefined : await sha256Hex(bytes);
    hashes.set(cid, hash);
    return hash;
  };
  for (const round of ledger.rounds) {
    const r = round.round;
    for (const leaf of round.leaves) {
      const actual = await hashOf(leaf.updateCid);
      if (actual === undefined) {
        report.checked.blobsUnreachable += 1;
        continue;
      }
      report.checked.blobs += 1;
      report.compare(
        "update-blob",
        leaf.updateHash,
        actual,
        `round ${r}: leaf of ${leaf.trainer}: update blob ${leaf.updateCid} has SHA-256 ${actual} ≠ updateHash ${leaf.updateHash}`,
        { round: r, trainer: leaf.trainer },
      );
    }
    const model = await hashOf(round.modelCid);
    if (model === undefined) {
      report.checked.blobsUnreachable += 1;
      continue;
    }
    report.checked.blobs += 1;
    report.compare(
      "model-blob",
      round.modelHash,
      model,
      `round ${r}: model blob ${round.modelCid} has SHA-256 ${model} ≠ modelHash ${round.modelHash}`,
      { round: r },
    );
  }
}
