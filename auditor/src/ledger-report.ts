/**
 * What `verifyLedger` found. `expected` is what the chain says (or what the protocol's rules compute from values
 * the chain authenticates); `actual` is what the ledger says or implies. Kinds:
 * - job: `chain-id`, `training-jobs-address`, `unknown-job`, `escrow`, `fee-bps`;
 * - rounds: `round-missing` (anchored, not in the ledger), `round-not-anchored` (the ledger says its anchor was
 *   confirmed; the chain has none), `round-duplicate`, `round-root` (root recomputed from the leaves ≠ anchored),
 *   `ledger-root` (≠ the ledger's own `updatesRoot`), `model-hash`, `anchor-tx`;
 * - leaves: `leaf` (the altered leaf, named by round and trainer, when the evidence singles it out), `score-sum`,
 *   `rejected-score`, `duplicate-trainer`, `update-cid`, `update-blob`, `model-cid`, `model-blob`, `epsilon`;
 * - payouts: `payout-missing`, `payout-not-finalized`, `payout-recompute`, `payout-root`, `ledger-payout-root`,
 *   `payout-total`, `fee`, `refund`, `payout-amount`, `payout-leaf`, `cumulative-score`, `finalize-tx`.
 */
export interface Disagreement {
  readonly kind: string;
  readonly round?: number;
  readonly trainer?: string;
  readonly expected?: string;
  readonly actual?: string;
  readonly message: string;
}

export interface LedgerReport {
  /** No disagreement. Blobs that could not be fetched do not make a report fail: they are counted apart. */
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
    /** Blobs that could not be fetched: not checked (not failures). */
    blobsUnreachable: number;
    /** Payout leaves compared (per contributor). */
    payouts: number;
  };
  readonly disagreements: readonly Disagreement[];
}

/** Collects disagreements and counts while `verifyLedger` runs. */
export class ReportBuilder {
  readonly disagreements: Disagreement[] = [];
  readonly checked = { rounds: 0, leaves: 0, blobs: 0, blobsUnreachable: 0, payouts: 0 };
  blockNumber: number | null = null;

  constructor(
    readonly jobId: string,
    readonly chainId: string,
    readonly trainingJobs: string,
  ) {}

  add(disagreement: Disagreement): void {
    this.disagreements.push(disagreement);
  }

  /** Adds `kind` when `expected !== actual`, with both values in the report. */
  compare(
    kind: string,
    expected: string,
    actual: string,
    message: string,
    where: { round?: number; trainer?: string } = {},
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
      disagreements: [...this.disagreements],
    };
  }
}
