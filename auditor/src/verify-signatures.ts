import {
  type Address,
  type JobLedger,
  type LedgerLeaf,
  type ModelUpdateMessage,
  recoverModelUpdateMessageSigner,
  signedEpsilon,
  toFixed18,
  tributaryDomain,
} from "@tributary/protocol";
import { type ReportBuilder, roundName } from "./ledger-report.js";

/** The `ModelUpdate` message a signed leaf stands for: the round as the coordinator numbers it (chain round − 1). */
function messageOf(jobId: string, chainRound: number, leaf: LedgerLeaf): ModelUpdateMessage | undefined {
  if (leaf.nonce === undefined || leaf.delta === undefined || leaf.metricsHash === undefined) return undefined;
  return {
    jobId: BigInt(jobId),
    round: chainRound - 1,
    trainer: leaf.trainer,
    datasetId: BigInt(leaf.datasetId),
    numExamples: BigInt(leaf.numExamples),
    updateHash: leaf.updateHash,
    metricsHash: leaf.metricsHash,
    epsilonSpent: signedEpsilon(leaf.epsilonSpent),
    delta: toFixed18(leaf.delta),
    nonce: leaf.nonce,
  };
}

/** The signer of a leaf's update header, or why none could be recovered. */
function signerOf(
  domain: ReturnType<typeof tributaryDomain>,
  jobId: string,
  chainRound: number,
  leaf: LedgerLeaf & { signature: string },
): Address | { error: string } {
  const message = messageOf(jobId, chainRound, leaf);
  if (message === undefined) return { error: "the leaf lacks the nonce, delta or metricsHash it signed" };
  try {
    return recoverModelUpdateMessageSigner(domain, message, leaf.signature);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Checks each leaf's EIP-712 update signature, in the domain of the chain and the TrainingJobs contract the audit
 * trusts (not the ledger's): the signer recovered from the leaf's fields must be its trainer, so a numExamples,
 * updateHash, datasetId or ε changed by the coordinator (before or after anchoring) is named with its trainer.
 * Counts the attestation kinds and warns loudly about simulated ones. A ledger without any signature comes from
 * a coordinator too old to serve them: a warning. A ledger that signs some leaves but not others hides something:
 * each unsigned leaf is a disagreement.
 */
export function verifySignatures(
  report: ReportBuilder,
  ledger: JobLedger,
  chainId: bigint,
  trainingJobs: Address,
): void {
  const domain = tributaryDomain(chainId, trainingJobs);
  const leaves = ledger.rounds.flatMap((round) => round.leaves.map((leaf) => ({ chainRound: round.round, leaf })));
  const anySigned = leaves.some(({ leaf }) => leaf.signature !== undefined);
  const simulated = new Set<Address>();
  for (const { chainRound, leaf } of leaves) {
    const name = roundName(chainRound);
    report.attestations[leaf.attestationKind ?? "unknown"] += 1;
    if (leaf.attestationKind === "simulated") simulated.add(leaf.trainer);
    if (leaf.signature === undefined) {
      report.checked.unsignedLeaves += 1;
      if (anySigned) {
        report.add({
          kind: "unsigned-leaf",
          chainRound,
          trainer: leaf.trainer,
          message: `${name}: leaf of ${leaf.trainer} carries no update signature, though the ledger's other leaves do: it cannot be shown to be what ${leaf.trainer} signed`,
        });
      }
      continue;
    }
    const signer = signerOf(domain, ledger.jobId, chainRound, { ...leaf, signature: leaf.signature });
    if (typeof signer === "string" && signer === leaf.trainer) {
      report.checked.signatures += 1;
      continue;
    }
    const why = typeof signer === "string" ? `it recovers to ${signer}` : `no signer can be recovered: ${signer.error}`;
    report.add({
      kind: "update-signature",
      chainRound,
      trainer: leaf.trainer,
      expected: leaf.trainer,
      actual: typeof signer === "string" ? signer : "none",
      message: `${name}: leaf of ${leaf.trainer}: its update signature is not ${leaf.trainer}'s over this leaf (${why}): numExamples ${leaf.numExamples}, updateHash, datasetId or ε is not what the trainer signed, or the signature is another key's`,
    });
  }
  if (!anySigned && leaves.length > 0) {
    report.warn({
      kind: "unsigned-ledger",
      message:
        "unsigned ledger (coordinator too old): no leaf carries its trainer's update signature, so numExamples, updateHash, datasetId and ε were not checked against what the trainers signed",
    });
  }
  for (const trainer of [...simulated].sort()) {
    report.warn({
      kind: "simulated-attestation",
      trainer,
      message: `SIMULATED ATTESTATION: ${trainer} joined with a simulated attestation (no TEE, no hardware guarantee): its updates were not produced in an enclave`,
    });
  }
}
