import { useState } from "react";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { Async, Empty, ErrorMessage } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { chainErrorText } from "./chain-errors.js";
import { createJobFromPage } from "./create-job-flow.js";
import { JobForm, type JobRequest } from "./job-form.js";
import { listRegistryDatasets } from "./registry-datasets.js";

/**
 * Creating a job: the datasets read from DatasetRegistry through the wallet, the form, then the upload, approval,
 * `createJob` and the coordinator's adoption, each step shown as it happens; `onCreated` opens the job.
 */
export function CreateJob({ onCreated }: { onCreated(jobId: string): void }) {
  const { provider, signer, signedIn, config } = useWallet();
  const api = useApi();
  const registry = config.contracts.DatasetRegistry;
  const datasets = useAsync(async () => {
    if (provider === undefined || registry === undefined) return undefined;
    return listRegistryDatasets(provider, registry);
  }, [provider, registry]);
  const [busy, setBusy] = useState(false);
  const [steps, setSteps] = useState<string[]>([]);
  const [error, setError] = useState<string>();

  const { TrainingJobs: trainingJobs, TributaryToken: token } = config.contracts;
  if (registry === undefined || trainingJobs === undefined || token === undefined) {
    return (
      <Empty>
        This coordinator names no DatasetRegistry, TrainingJobs or TributaryToken: create jobs with `tributary job
        create`.
      </Empty>
    );
  }
  if (signer === undefined || !signedIn) {
    return <Empty>Connect your wallet and sign in with Ethereum to create a job.</Empty>;
  }
  const contracts = { trainingJobs, datasetRegistry: registry, token };
  const submit = ({ prepared, reward }: JobRequest) => {
    setBusy(true);
    setError(undefined);
    setSteps([]);
    createJobFromPage({
      api,
      signer,
      contracts,
      prepared,
      reward,
      step: (text) => setSteps((old) => [...old, text]),
    })
      .then(
        (created) => {
          setSteps((old) => [...old, `Job ${created.jobId} adopted by the coordinator.`]);
          onCreated(created.jobId);
        },
        (caught: unknown) => setError(chainErrorText(caught)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <section className="card" aria-label="New job">
      <Async state={datasets} what="the datasets on DatasetRegistry">
        {(list) => (list === undefined ? null : <JobForm datasets={list} busy={busy} onSubmit={submit} />)}
      </Async>
      {steps.length === 0 ? null : (
        <ol className="steps" aria-live="polite" data-testid="create-steps">
          {steps.map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ol>
      )}
      {busy ? (
        <p role="status" aria-live="polite">
          Waiting for your wallet, the chain and the coordinator…
        </p>
      ) : null}
      {error === undefined ? null : <ErrorMessage>{error}</ErrorMessage>}
    </section>
  );
}
