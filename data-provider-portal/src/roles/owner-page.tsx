import { claimPayout } from "@tributary/auditor";
import type { JobLedger } from "@tributary/protocol";
import { formatEther } from "ethers";
import { useState } from "react";
import type { DatasetView } from "../api/coordinator-views.js";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { EnrolForm } from "../owner/enrol-form.js";
import { ModelRevenue } from "../owner/model-revenue.js";
import { LineChart } from "../ui/line-chart.js";
import { Async, Empty, ErrorMessage } from "../ui/status.js";
import { errorMessage, useAsync } from "../ui/use-async.js";
import { earningsOf, epsilonOverTime } from "./owner-earnings.js";

/**
 * The data owner: its datasets, the ε each spent against its budget, what each job paid and its share of the
 * licence revenue of the models trained on its data, both claimed here, and a dataset enrolled from files it picks.
 */
export function OwnerPage() {
  const { address } = useWallet();
  const api = useApi();
  const data = useAsync(
    async () => {
      const [datasets, jobs] = await Promise.all([api.datasets(), api.jobs()]);
      const onChain = jobs.filter((job) => job.onChain).sort((a, b) => Number(a.id) - Number(b.id));
      const ledgers = (await Promise.all(onChain.map((job) => api.ledger(job.id).catch(() => undefined)))).filter(
        (ledger): ledger is JobLedger => ledger !== undefined,
      );
      return { datasets, ledgers };
    },
    [api],
    5_000,
  );
  if (address === undefined) return <Empty>Connect your wallet to see the datasets you own.</Empty>;
  return (
    <Async state={data} what="your datasets">
      {({ datasets, ledgers }) => {
        const mine = datasets.filter((dataset) => dataset.owner.toLowerCase() === address.toLowerCase());
        return (
          <>
            <section aria-labelledby="datasets-heading">
              <h2 id="datasets-heading">Your datasets</h2>
              {mine.length === 0 ? (
                <Empty>
                  {address} owns no dataset this coordinator knows. Enrol one below, or with `tributary dataset enrol
                  DIR`.
                </Empty>
              ) : (
                <div className="cards">
                  {mine.map((dataset) => (
                    <DatasetCard key={dataset.id} dataset={dataset} ledgers={ledgers} />
                  ))}
                </div>
              )}
            </section>
            <Earnings owner={address} ledgers={ledgers} />
            <ModelRevenue owner={address} paidJobs={earningsOf(address, ledgers).map((earning) => earning.jobId)} />
            <EnrolForm onEnrolled={() => data.reload()} />
          </>
        );
      }}
    </Async>
  );
}

function DatasetCard({ dataset, ledgers }: { dataset: DatasetView; ledgers: JobLedger[] }) {
  const points = epsilonOverTime(dataset.id, ledgers);
  const budget = dataset.epsilonBudget;
  return (
    <article className="card" aria-labelledby={`dataset-${dataset.id}`}>
      <h3 id={`dataset-${dataset.id}`}>Dataset {dataset.id}</h3>
      <p>
        Price per round: {dataset.pricePerRound === undefined ? "—" : `${formatEther(dataset.pricePerRound)} TRIB`}
        <br />
        Privacy budget: {budget === undefined ? "—" : `ε ≤ ${budget}`}
        {dataset.active === false ? " · deactivated" : ""}
      </p>
      {points.length === 0 ? (
        <Empty>No round has charged this dataset's privacy budget yet.</Empty>
      ) : (
        <LineChart
          title={`ε spent by dataset ${dataset.id}, round by round`}
          xs={points.map((point) => point.label)}
          xLabel="job/round"
          series={[{ name: "ε spent", values: points.map((point) => point.epsilon), colour: "#0b57d0" }]}
          limit={budget === undefined ? undefined : { label: `budget ε = ${budget}`, value: budget }}
        />
      )}
    </article>
  );
}

function Earnings({ owner, ledgers }: { owner: string; ledgers: JobLedger[] }) {
  const earnings = earningsOf(owner, ledgers);
  return (
    <section aria-labelledby="earnings-heading">
      <h2 id="earnings-heading">Earnings per job</h2>
      {earnings.length === 0 ? (
        <Empty>No finalised job pays you yet.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Payout</th>
              <th scope="col">Claim</th>
            </tr>
          </thead>
          <tbody>
            {earnings.map((earning) => (
              <tr key={earning.jobId}>
                <td>{earning.jobId}</td>
                <td>{formatEther(earning.amount)} TRIB</td>
                <td>
                  <ClaimButton jobId={earning.jobId} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ClaimButton({ jobId }: { jobId: string }) {
  const { signer, config } = useWallet();
  const [state, setState] = useState<
    { kind: "idle" | "busy" } | { kind: "done"; tx: string } | { kind: "error"; message: string }
  >({
    kind: "idle",
  });
  const trainingJobs = config.contracts.TrainingJobs;
  if (signer === undefined || trainingJobs === undefined) return <span>connect a wallet</span>;
  if (state.kind === "done") return <span>claimed in tx {state.tx.slice(0, 12)}…</span>;
  return (
    <>
      <button
        type="button"
        disabled={state.kind === "busy"}
        onClick={() => {
          setState({ kind: "busy" });
          claimPayout({ coordinatorUrl: config.coordinatorUrl, jobId, signer, trainingJobs }).then(
            (claimed) => setState({ kind: "done", tx: claimed.txHash }),
            (error: unknown) => setState({ kind: "error", message: errorMessage(error) }),
          );
        }}
      >
        Claim job {jobId}
      </button>
      {state.kind === "error" ? <ErrorMessage>{state.message}</ErrorMessage> : null}
    </>
  );
}
