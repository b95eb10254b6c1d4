import { formatEther } from "ethers";
import { useState } from "react";
import { useWallet } from "../chain/wallet-context.js";
import { Async, ErrorMessage } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { chainErrorText } from "./chain-errors.js";
import { RegisterModel } from "./register-model.js";
import { cancelJobOnChain, readJobOnChain, reclaimOnChain } from "./researcher-actions.js";

/** How often the job is read from TrainingJobs besides the watch channel's changes. */
const CHAIN_REFRESH_MS = 5_000;

const isoTime = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

/**
 * The researcher's actions on the job's escrow, read from TrainingJobs (the authority), offered only when the
 * contract would take them: cancel (not yet accepted, or gone stale), reclaim (finalised, with escrow left).
 * `version` changes when the job moved (the watch channel), so the chain is read again.
 */
export function JobActions({ jobId, version }: { jobId: string; version: number }) {
  const { provider, signer, address, config } = useWallet();
  const trainingJobs = config.contracts.TrainingJobs;
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  // Read again on each watch event and every few seconds: the chain is the authority, and a state it reached
  // between a watch event and its read (or during a reconnect) must not stay unseen.
  const onChain = useAsync(
    async () => {
      if (provider === undefined || trainingJobs === undefined) return undefined;
      return readJobOnChain(provider, trainingJobs, jobId);
    },
    [provider, trainingJobs, jobId, version],
    CHAIN_REFRESH_MS,
  );
  if (provider === undefined || trainingJobs === undefined) return null;
  const run = (action: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    action()
      .then(setNotice, (caught: unknown) => setError(chainErrorText(caught)))
      .finally(() => {
        setBusy(false);
        onChain.reload();
      });
  };
  return (
    <section aria-labelledby="escrow-heading">
      <h3 id="escrow-heading">Escrow on TrainingJobs</h3>
      <Async state={onChain} what="the job on TrainingJobs">
        {(state) => {
          if (state === undefined) return <p>TrainingJobs knows no job {jobId}: it is an off-chain job.</p>;
          const { job } = state;
          const mine = address !== undefined && job.researcher === address.toLowerCase();
          return (
            <>
              <p data-testid="chain-status">
                {job.status} on chain{job.accepted ? ", accepted by its coordinator" : ", not accepted yet"};{" "}
                {job.roundsAnchored}/{job.rounds} rounds anchored; escrow {formatEther(job.escrow)} TRIB, payouts{" "}
                {formatEther(job.payoutTotal)}, refunded {formatEther(job.refunded)}.
              </p>
              {!mine ? (
                <p>Only the job's researcher ({job.researcher}) may cancel it or reclaim its escrow.</p>
              ) : (
                <div className="actions">
                  {job.status === "Open" || job.status === "Running" ? (
                    <>
                      <button
                        type="button"
                        disabled={busy || signer === undefined}
                        onClick={() =>
                          run(async () => {
                            const tx = await cancelJobOnChain(
                              signer as NonNullable<typeof signer>,
                              trainingJobs,
                              jobId,
                            );
                            return `job ${jobId} cancelled, escrow refunded (tx ${tx})`;
                          })
                        }
                      >
                        Cancel job {jobId}
                      </button>
                      <span className="hint">
                        {state.cancellable
                          ? "Cancelling refunds the whole escrow."
                          : `The contract refuses until the job goes stale, after ${isoTime(state.staleAt)}.`}
                      </span>
                    </>
                  ) : null}
                  {job.status === "Finalized" ? (
                    <button
                      type="button"
                      disabled={busy || signer === undefined || state.reclaimable === 0n}
                      onClick={() =>
                        run(async () => {
                          const tx = await reclaimOnChain(signer as NonNullable<typeof signer>, trainingJobs, jobId);
                          return `reclaimed ${formatEther(state.reclaimable)} TRIB of job ${jobId} (tx ${tx})`;
                        })
                      }
                    >
                      Reclaim {formatEther(state.reclaimable)} TRIB
                    </button>
                  ) : null}
                </div>
              )}
              {mine && job.status === "Finalized" ? <RegisterModel jobId={jobId} /> : null}
            </>
          );
        }}
      </Async>
      {busy ? (
        <p role="status" aria-live="polite">
          Waiting for your wallet and the chain…
        </p>
      ) : null}
      {notice === undefined ? null : <p role="status">{notice}</p>}
      {error === undefined ? null : <ErrorMessage>{error}</ErrorMessage>}
    </section>
  );
}
