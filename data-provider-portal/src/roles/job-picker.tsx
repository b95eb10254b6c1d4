import type { JobView } from "../api/coordinator-views.js";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { Async, Empty } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";

/** The coordinator's jobs as a table; choosing one calls `onPick`. `mine` marks the connected account's. */
export function JobPicker({ selected, onPick }: { selected: string | undefined; onPick(id: string): void }) {
  const { address } = useWallet();
  const api = useApi();
  const jobs = useAsync(() => api.jobs(), [api], 5_000);
  return (
    <section aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs</h2>
      <Async state={jobs} what="jobs">
        {(list: JobView[]) =>
          list.length === 0 ? (
            <Empty>The coordinator has no jobs yet.</Empty>
          ) : (
            <table className="jobs">
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Round</th>
                  <th scope="col">On chain</th>
                  <th scope="col">
                    <span className="visually-hidden">Open</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((job) => (
                  <tr key={job.id} aria-current={job.id === selected ? "true" : undefined}>
                    <td>{job.id}</td>
                    <td>
                      {job.spec.name}
                      {address !== undefined && job.researcher?.toLowerCase() === address.toLowerCase() ? (
                        <span className="badge">yours</span>
                      ) : null}
                    </td>
                    <td>{job.status}</td>
                    <td>
                      {Math.min(job.round, job.spec.rounds)}/{job.spec.rounds}
                    </td>
                    <td>{job.onChain ? "yes" : "no"}</td>
                    <td>
                      <button type="button" onClick={() => onPick(job.id)}>
                        Open job {job.id}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </section>
  );
}
