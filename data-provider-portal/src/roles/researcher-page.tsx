import type { JobLedger } from "@tributary/protocol";
import { useState } from "react";
import type { JobView, RoundView } from "../api/coordinator-views.js";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { CreateJob } from "../researcher/create-job.js";
import { JobActions } from "../researcher/job-actions.js";
import { useJobChanges, type WatchState } from "../researcher/use-job-changes.js";
import { LineChart } from "../ui/line-chart.js";
import { Async, Empty } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { JobPicker } from "./job-picker.js";
import { metricSeries, trainersDone, trainingRounds } from "./round-series.js";

/**
 * The researcher: create a job (spec, validation set, datasets and reward, escrowed through the wallet), pick a job
 * and watch it live over the coordinator's watch channel (rounds, trainers done, loss and accuracy, ε per dataset,
 * anchors), and cancel it or reclaim its escrow.
 */
export function ResearcherPage() {
  const [jobId, setJobId] = useState<string>();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <section aria-labelledby="new-job-heading">
        <h2 id="new-job-heading" className="visually-hidden">
          New job
        </h2>
        {creating ? (
          <CreateJob
            onCreated={(id) => {
              setJobId(id);
            }}
          />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            Create a new job
          </button>
        )}
      </section>
      <JobPicker selected={jobId} onPick={setJobId} />
      {jobId === undefined ? null : <JobWatch key={jobId} jobId={jobId} />}
    </>
  );
}

const WATCH_TEXT: Record<WatchState["kind"], string> = {
  off: "Not live",
  connecting: "Connecting to the live updates…",
  live: "Live: updated as the coordinator reports each change",
  refused: "Live updates refused",
};

function JobWatch({ jobId }: { jobId: string }) {
  const api = useApi();
  const { config, token } = useWallet();
  const [version, setVersion] = useState(0);
  const watch = useJobChanges(config.coordinatorUrl, token, jobId, () => setVersion((n) => n + 1));
  const live = useAsync(async () => {
    const job = await api.job(jobId);
    const rounds = await api.rounds(jobId);
    const ledger = job.onChain ? await api.ledger(jobId).catch(() => undefined) : undefined;
    return { job, rounds, ledger };
  }, [api, jobId, version]);
  return (
    <section aria-labelledby="watch-heading">
      <h2 id="watch-heading">Job {jobId}</h2>
      <p className="live" data-testid="watch-state" data-state={watch.kind}>
        {WATCH_TEXT[watch.kind]}
        {"reason" in watch ? `: ${watch.reason}.` : "."}{" "}
        {watch.kind === "live" ? null : (
          <button type="button" onClick={() => live.reload()}>
            Refresh
          </button>
        )}
      </p>
      <Async state={live} what="the job">
        {({ job, rounds, ledger }) => (
          <>
            <JobSummary job={job} />
            <RoundCharts rounds={rounds} />
            <RoundTable rounds={rounds} />
            {ledger === undefined ? null : <ChainSide ledger={ledger} />}
          </>
        )}
      </Async>
      <JobActions jobId={jobId} version={version} />
    </section>
  );
}

function JobSummary({ job }: { job: JobView }) {
  const accuracy = job.finalMetrics?.evalAccuracy ?? job.finalMetrics?.accuracy;
  return (
    <dl className="summary" aria-live="polite">
      <dt>Status</dt>
      <dd data-testid="job-status">
        {job.status}
        {job.statusMessage ? ` — ${job.statusMessage}` : ""}
        {job.error ? ` — ${job.error}` : ""}
      </dd>
      <dt>Rounds</dt>
      <dd>
        {Math.min(job.round, job.spec.rounds)} of {job.spec.rounds}
      </dd>
      <dt>Datasets</dt>
      <dd>{job.spec.datasetIds.join(", ")}</dd>
      {accuracy === undefined ? null : (
        <>
          <dt>Final accuracy</dt>
          <dd>{(accuracy * 100).toFixed(2)} %</dd>
        </>
      )}
    </dl>
  );
}

function RoundCharts({ rounds }: { rounds: RoundView[] }) {
  const train = trainingRounds(rounds);
  if (train.length === 0) return <Empty>No round has started yet.</Empty>;
  const xs = train.map((round) => String(round.round));
  const loss = metricSeries(rounds, "loss");
  const evalLoss = metricSeries(rounds, "evalLoss");
  const accuracy = metricSeries(rounds, "evalAccuracy");
  return (
    <div className="charts">
      <LineChart
        title="Loss per round"
        xs={xs}
        xLabel="round"
        series={[
          { name: "training loss", values: loss, colour: "#0b57d0" },
          { name: "held-out loss", values: evalLoss, colour: "#b3261e" },
        ]}
      />
      <LineChart
        title="Held-out accuracy per round"
        xs={xs}
        xLabel="round"
        series={[{ name: "accuracy", values: accuracy, colour: "#146c2e" }]}
        format={(value) => `${(value * 100).toFixed(1)}%`}
      />
    </div>
  );
}

function RoundTable({ rounds }: { rounds: RoundView[] }) {
  return (
    <table aria-label="Rounds">
      <thead>
        <tr>
          <th scope="col">Round</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Trainers done</th>
          <th scope="col">ε spent</th>
        </tr>
      </thead>
      <tbody>
        {[...rounds]
          .sort((a, b) => a.round - b.round || a.kind.localeCompare(b.kind))
          .map((round) => {
            const { done, of } = trainersDone(round);
            const epsilon = round.metrics?.epsilonSpent;
            return (
              <tr key={`${round.kind}-${round.round}`}>
                <td>{round.round}</td>
                <td>{round.kind}</td>
                <td>{round.status}</td>
                <td>
                  {done}/{of}
                </td>
                <td>{epsilon === undefined ? "—" : epsilon.toFixed(3)}</td>
              </tr>
            );
          })}
      </tbody>
    </table>
  );
}

function ChainSide({ ledger }: { ledger: JobLedger }) {
  const epsilons = Object.entries(ledger.epsilonByDataset);
  return (
    <section aria-labelledby="chain-heading">
      <h3 id="chain-heading">On chain</h3>
      <h4>ε per dataset</h4>
      {epsilons.length === 0 ? (
        <Empty>No dataset has reported ε yet.</Empty>
      ) : (
        <ul>
          {epsilons.map(([dataset, epsilon]) => (
            <li key={dataset}>
              dataset {dataset}: {epsilon === null ? "trained without DP" : `ε = ${epsilon.toFixed(3)}`}
            </li>
          ))}
        </ul>
      )}
      <h4>Anchors</h4>
      {ledger.rounds.length === 0 ? (
        <Empty>No round anchored yet.</Empty>
      ) : (
        <ol className="anchors">
          {ledger.rounds.map((round) => (
            <li key={round.round}>
              round {round.round - 1}: {round.anchor.status}
              {round.anchor.txHash === null ? "" : <span className="mono"> tx {round.anchor.txHash}</span>}
            </li>
          ))}
        </ol>
      )}
      {ledger.payout === null ? null : (
        <p>
          Payouts finalised ({ledger.payout.finalize.status}
          {ledger.payout.finalize.txHash === null ? "" : `, tx ${ledger.payout.finalize.txHash}`}).
        </p>
      )}
    </section>
  );
}
