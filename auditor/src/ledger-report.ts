/**
 * What `verifyLedger` found. `expected` is what the chain says (or what the protocol's rules compute from values
 * the chain authenticates); `actual` is what the ledger says or implies. Kinds:
 * - job: `chain-id`, `training-jobs-address`, `unknown-job`, `escrow`, `fee-bps`;
 * - rounds: `round-missing` (anchored, not in the ledger), `round-not-anchored` (the ledger says its anchor was
 *   confirmed; the chain has none), `round-duplicate`, `round-root` (root recomputed from the leaves ≠ anchored),
 *   `ledger-root` (≠ the ledger's own `updatesRoot`), `model-hash`, `anchor-tx`;
 * - leaves: `leaf` (the altered leaf, named by round and trainer, when the evidence singles it out), `score-sum`,
 *   `rejected-score`, `duplicate-trainer`, `update-cid`, `update-blob`, `model-cid`, `model-blob`,
 *   `blob-unavailable` (a blob the ledger names that the coordinator does not serve), `epsilon`,
 *   `update-signature` (the leaf is not what its trainer signed), `unsigned-leaf` (a leaf without the signature
 *   the rest of the ledger carries);
 * - payouts: `payout-missing`, `payout-not-finalized`, `payout-recompute`, `payout-root`, `ledger-payout-root`,
 *   `payout-total`, `fee`, `refund`, `payout-amount`, `payout-leaf`, `cumulative-score`, `finalize-tx`;
 * - recomputed scores (`--recompute-scores`): `score-recomputed` (a leaf's anchored score is not what its round's
 *   inputs score; `expected` is the recomputed score), `score-inputs` (a round's updates cannot be scored at all),
 *   `scoring-spec` (the ledger's scoring is not the job spec's);
 * - SecAgg+ rounds: `secure-aggregation` (not scored by examples, or leaves that are not the protocol's survivors).
 *
 * Rounds are numbered as the coordinator numbers them (`GET /jobs/:id/rounds`, from 0); `chainRound` is the same
 * round as `anchorRound` numbers it on chain (round + 1).
 */
export interface Disagreement {
  readonly kind: string;
  /** The coordinator's round index (from 0). */
  readonly round?: number;
  /** The round's number on chain (`round + 1`). */
  readonly chainRound?: number;
  readonly trainer?: string;
  readonly expected?: string;
  readonly actual?: string;
  readonly message: string;
}

/**
 * What the audit could not establish but the reader must know: `unsigned-ledger` (the coordinator serves no
 * update signatures: too old), `simulated-attestation` (a trainer ran without a TEE), `blobs-skipped`, and with
 * `--recompute-scores` `scores-not-recomputed` (a round's inputs cannot be had) and `scores-imprecise` (a round's
 * contributions are within the validation loss's precision), `secure-aggregation` (a SecAgg+ round: its blobs are
 * masked inputs and its model cannot be recomputed from the ledger).
 */
export interface Warning {
  readonly kind: string;
  readonly trainer?: string;
  readonly message: string;
}

/** The attestation kinds the ledger's leaves name, counted per leaf; `unknown`: the leaf names none. */
export interface AttestationCounts {
  nitro: number;
  sgx: number;
  tdx: number;
  simulated: number;
  unknown: number;
}

/** What recomputing the scores covered (`--recompute-scores`). */
export interface RecomputeSummary {
  readonly method: "examples" | "leave-one-out" | "gtg-shapley";
  /** Rounds whose scores were recomputed and compared. */
  rounds: number;
  leaves: number;
  /** Models evaluated on the validation set. */
  evaluations: number;
  /** Rounds that could not be recomputed (each one a warning or a disagreement saying why). */
  notRecomputed: number;
}

export interface LedgerReport {
  /** No disagreement. Warnings do not make a report fail. */
  readonly ok: boolean;
  readonly jobId: string;
  readonly chainId: string;
  /** The TrainingJobs contract the roots were read from. */
  readonly trainingJobs: string;
  /** The block every chain read was made at. */
  readonly blockNumber: number | null;
  readonly checked: {
    /** Ledger rounds whose root was recomputed from their leaves. */
    rounds: number;
    leaves: number;
    /** Update and model blobs fetched and hashed. */
    blobs: number;
    /** Blobs the coordinator did not serve: each one is also a `blob-unavailable` disagreement. */
    blobsUnreachable: number;
    /** The caller asked not to fetch blobs: none was checked. */
    blobsSkipped: boolean;
    /** Leaves whose update signature recovered to their trainer. */
    signatures: number;
    /** Leaves that carry no update signature. */
    unsignedLeaves: number;
    /** Payout leaves compared (per contributor). */
    payouts: number;
  };
  readonly attestations: AttestationCounts;
  /** What recomputing the scores covered; null when it was not asked for. */
  readonly recomputed: RecomputeSummary | null;
  /** Some leaf's trainer joined with a simulated attestation: no hardware guarantee for its updates. */
  readonly simulatedAttestation: boolean;
  readonly disagreements: readonly Disagreement[];
  readonly warnings: readonly Warning[];
}

/** A disagreement as the checks state it: rounds by their chain number (`LedgerRound.round`). */
export type Finding = Omit<Disagreement, "round" | "chainRound"> & { readonly chainRound?: number };

/** `round 0 (anchored as chain round 1)`: how a report names a round where its chain number matters. */
export function anchoredRound(chainRound: number): string {
  return `round ${chainRound - 1} (anchored as chain round ${chainRound})`;
}

/** `round 0`: how a report names a round, given its chain number. */
export function roundName(chainRound: number): string {
  return `round ${chainRound - 1}`;
}

/** Collects disagreements and counts while `verifyLedger` runs. */
export class ReportBuilder {
  readonly disagreements: Disagreement[] = [];
  readonly warnings: Warning[] = [];
  readonly checked = {
    rounds: 0,
    leaves: 0,
    blobs: 0,
    blobsUnreachable: 0,
    blobsSkipped: false,
    signatures: 0,
    unsignedLeaves: 0,
    payouts: 0,
  };
  readonly attestations: AttestationCounts = { nitro: 0, sgx: 0, tdx: 0, simulated: 0, unknown: 0 };
  blockNumber: number | null = null;
  recomputed: RecomputeSummary | null = null;

  constructor(
    readonly jobId: string,
    readonly chainId: string,
    readonly trainingJobs: string,
  ) {}

  add(finding: Finding): void {
    const { chainRound, ...rest } = finding;
    this.disagreements.push(chainRound === undefined ? rest : { ...rest, round: chainRound - 1, chainRound });
  }

  warn(warning: Warning): void {
    this.warnings.push(warning);
  }

  /** Adds `kind` when `expected !== actual`, with both values in the report. */
  compare(
    kind: string,
    expected: string,
    actual: string,
    message: string,
    where: { chainRound?: number; trainer?: string } = {},
  ) {
    if (expected !== actual) this.add({ kind, ...where, expected, actual, message });
  }

  finish(): LedgerReport {
    return {
      ok: this.disagreements.length === 0,
      jobId: this.jobId,
      chainId: this.chainId,
      trainingJobs: this.trainingJobs,
      blockNumber: this.blockNumber,
      checked: { ...this.checked },
      attestations: { ...this.attestations },
      recomputed: this.recomputed === null ? null : { ...this.recomputed },
      simulatedAttestation: this.attestations.simulated > 0,
      disagreements: [...this.disagreements],
      warnings: [...this.warnings],
    };
  }
}
