import { type LedgerReport, verifyLedger } from "@tributary/auditor";
import type { JobLedger } from "@tributary/protocol";
import { JsonRpcProvider, type Provider } from "ethers";
import { useState } from "react";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { Async, ErrorMessage, Loading } from "../ui/status.js";
import { errorMessage, useAsync } from "../ui/use-async.js";
import { VerificationReport } from "./disagreement-list.js";
import { JobPicker } from "./job-picker.js";
import { LedgerRounds } from "./ledger-rounds.js";

/**
 * The auditor: browse jobs, their anchored rounds and leaves, and verify a job in the browser with the `auditor`
 * library against the chain (through the wallet's provider), trusting neither the coordinator nor its ledger.
 */
export function AuditorPage() {
  const [jobId, setJobId] = useState<string>();
  return (
    <>
      <JobPicker selected={jobId} onPick={setJobId} />
      {jobId === undefined ? null : <JobAudit jobId={jobId} />}
    </>
  );
}

function JobAudit({ jobId }: { jobId: string }) {
  const api = useApi();
  const ledger = useAsync(() => api.ledger(jobId), [api, jobId]);
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Ledger of job {jobId}</h2>
      <Async state={ledger} what="the ledger">
        {(value: JobLedger) => (
          <>
            <Verifier ledger={value} />
            <LedgerRounds ledger={value} />
          </>
        )}
      </Async>
    </section>
  );
}

function Verifier({ ledger }: { ledger: JobLedger }) {
  const { provider, config, signedIn } = useWallet();
  const api = useApi();
  const [trainingJobs, setTrainingJobs] = useState(config.contracts.TrainingJobs ?? ledger.trainingJobs);
  const [state, setState] = useState<
    { kind: "idle" } | { kind: "running" } | { kind: "error"; message: string } | { kind: "done"; report: LedgerReport }
  >({ kind: "idle" });

  const chain: Provider | undefined =
    provider ?? (config.devWallet === undefined ? undefined : new JsonRpcProvider(config.devWallet.rpcUrl));
  const verify = async () => {
    if (chain === undefined) return;
    setState({ kind: "running" });
    try {
      const report = await verifyLedger({
        ledger,
        provider: chain,
        trainingJobs,
        ...(signedIn
          ? { fetchBlob: (cid: string) => api.blob(ledger.jobId, cid) }
          : {
              blobsSkippedBecause:
                "not signed in: sign in as the job's researcher or an auditor its spec names to check the blobs",
            }),
      });
      setState({ kind: "done", report });
    } catch (error) {
      setState({ kind: "error", message: `Verification failed: ${errorMessage(error)}` });
    }
  };
  return (
    <form
      className="verifier"
      onSubmit={(event) => {
        event.preventDefault();
        void verify();
      }}
    >
      <label>
        TrainingJobs contract to read the roots from
        <input
          value={trainingJobs}
          onChange={(event) => setTrainingJobs(event.target.value)}
          pattern="0x[0-9a-fA-F]{40}"
          required
          className="mono"
        />
      </label>
      <button type="submit" disabled={chain === undefined || state.kind === "running"}>
        Verify against the chain
      </button>
      {chain === undefined ? (
        <ErrorMessage>Connect a wallet: the roots are read from the chain through it.</ErrorMessage>
      ) : null}
      {state.kind === "running" ? <Loading what="the chain's roots and checking every leaf" /> : null}
      {state.kind === "error" ? <ErrorMessage>{state.message}</ErrorMessage> : null}
      {state.kind === "done" ? <VerificationReport report={state.report} /> : null}
    </form>
  );
}
