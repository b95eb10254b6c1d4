import type { TcbStatus } from "./collateral.js";
import { rejectDcap } from "./dcap-rejection.js";
import type { TcbVerdict } from "./tcb-status.js";

/**
 * Which TCB outcomes a verifier accepts. The default accepts only `UpToDate` without advisories. Anything else
 * must be allowed explicitly: its status in `allowedStatuses` AND every one of its advisories in
 * `allowedAdvisoryIds` (an operator who read INTEL-SA-00615 and decided the workload is not exposed lists it).
 * `Revoked` is never accepted.
 */
export interface TcbPolicy {
  readonly allowedStatuses?: readonly Exclude<TcbStatus, "Revoked">[];
  readonly allowedAdvisoryIds?: readonly string[];
}

export const DEFAULT_TCB_POLICY: TcbPolicy = { allowedStatuses: ["UpToDate"], allowedAdvisoryIds: [] };

/** Refuses (`revoked` or `tcb-not-allowed`, check `tcb-policy`) a TCB outcome the policy does not accept. */
export function enforceTcbPolicy(outcome: TcbVerdict, policy: TcbPolicy = DEFAULT_TCB_POLICY): void {
  const details = { tcbStatus: outcome.status, advisoryIds: outcome.advisoryIds };
  if (outcome.status === "Revoked") rejectDcap("revoked", "tcb-policy", "the platform's TCB is revoked", details);
  const statuses: readonly TcbStatus[] = policy.allowedStatuses ?? ["UpToDate"];
  if (!statuses.includes(outcome.status)) {
    rejectDcap(
      "tcb-not-allowed",
      "tcb-policy",
      `TCB status ${outcome.status} (advisories: ${outcome.advisoryIds.join(", ") || "none"}) is not allowed; allowed: ${statuses.join(", ")}`,
      details,
    );
  }
  const allowedAdvisories = new Set(policy.allowedAdvisoryIds ?? []);
  const unallowed = outcome.advisoryIds.filter((id) => !allowedAdvisories.has(id));
  if (unallowed.length > 0) {
    rejectDcap(
      "tcb-not-allowed",
      "tcb-policy",
      `TCB status ${outcome.status} with advisories not allowed by the policy: ${unallowed.join(", ")}`,
      details,
    );
  }
}
