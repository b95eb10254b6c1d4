import type { JobLedger } from "@tributary/protocol";
import { sha256Hex } from "./cid-digest.js";
import { type ReportBuilder, roundName } from "./ledger-report.js";

/** Fetches a blob by CID; `undefined` when it is not there (a thrown error counts the same). */
export type FetchBlob = (cid: string) => Promise<Uint8Array | undefined>;

/** The SHA-256 of the blob, or why it could not be had. */
type Fetched = { readonly hash: string } | { readonly missing: string };

/**
 * Fetches every update and model blob the ledger names and checks that its SHA-256 is the leaf's `updateHash` /
 * the round's `modelHash` (the values the anchored roots commit to). A blob the coordinator does not serve
 * (absent, or any fetch failure) is a disagreement too: the ledger commits to bytes nobody can check. Without
 * `fetchBlob` the caller asked to skip blobs, and the report says none was checked. One blob at a time: updates
 * can be large, and memory matters more than the minutes of an audit.
 */
export async function verifyBlobs(
  report: ReportBuilder,
  ledger: JobLedger,
  fetchBlob: FetchBlob | undefined,
  skippedBecause = "--skip-blobs",
) {
  if (fetchBlob === undefined) {
    report.checked.blobsSkipped = true;
    report.warn({
      kind: "blobs-skipped",
      message: `blobs were not checked (${skippedBecause}): update and model bytes were neither fetched nor hashed`,
    });
    return;
  }
  const fetched = new Map<string, Fetched>();
  const fetchOnce = async (cid: string): Promise<Fetched> => {
    const known = fetched.get(cid);
    if (known !== undefined) return known;
    let result: Fetched;
    try {
      const bytes = await fetchBlob(cid);
      result = bytes === undefined ? { missing: "not served" } : { hash: await sha256Hex(bytes) };
    } catch (error) {
      result = { missing: error instanceof Error ? error.message : String(error) };
    }
    fetched.set(cid, result);
    return result;
  };
  for (const round of ledger.rounds) {
    const r = round.round;
    const name = roundName(r);
    for (const leaf of round.leaves) {
      const blob = await fetchOnce(leaf.updateCid);
      if ("missing" in blob) {
        report.checked.blobsUnreachable += 1;
        report.add({
          kind: "blob-unavailable",
          chainRound: r,
          trainer: leaf.trainer,
          expected: leaf.updateHash,
          actual: leaf.updateCid,
          message: `${name}: leaf of ${leaf.trainer}: update blob ${leaf.updateCid} cannot be had from the coordinator (${blob.missing}): its updateHash ${leaf.updateHash} cannot be checked`,
        });
        continue;
      }
      report.checked.blobs += 1;
      report.compare(
        "update-blob",
        leaf.updateHash,
        blob.hash,
        `${name}: leaf of ${leaf.trainer}: update blob ${leaf.updateCid} has SHA-256 ${blob.hash} ≠ updateHash ${leaf.updateHash}`,
        { chainRound: r, trainer: leaf.trainer },
      );
    }
    const model = await fetchOnce(round.modelCid);
    if ("missing" in model) {
      report.checked.blobsUnreachable += 1;
      report.add({
        kind: "blob-unavailable",
        chainRound: r,
        expected: round.modelHash,
        actual: round.modelCid,
        message: `${name}: model blob ${round.modelCid} cannot be had from the coordinator (${model.missing}): its modelHash ${round.modelHash} cannot be checked`,
      });
      continue;
    }
    report.checked.blobs += 1;
    report.compare(
      "model-blob",
      round.modelHash,
      model.hash,
      `${name}: model blob ${round.modelCid} has SHA-256 ${model.hash} ≠ modelHash ${round.modelHash}`,
      { chainRound: r },
    );
  }
}
