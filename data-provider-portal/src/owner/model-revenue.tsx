import {
  type ContributorShare,
  claimContributorRevenue,
  contributorShare,
  RevenueClaimRefusedError,
} from "@tributary/auditor";
import { connectModelRegistry } from "@tributary/contracts/typed";
import { formatEther } from "ethers";
import { useState } from "react";
import { useWallet } from "../chain/wallet-context.js";
import { Async, Empty, ErrorMessage } from "../ui/status.js";
import { errorMessage, useAsync } from "../ui/use-async.js";
import { refusalMessage } from "./enrol-dataset.js";

/** One model trained by a job that paid the owner, and the owner's share of its licence revenue (or why none). */
interface ModelShare {
  readonly modelId: bigint;
  readonly jobId: bigint;
  readonly share: ContributorShare | undefined;
  readonly problem: string | undefined;
}

/**
 * The owner's revenue from model sales: every model on ModelRegistry trained by a job that paid the owner, with the
 * owner's share of its contributors' pool (`pool × payout / payoutTotal`, ModelRegistry's rule, read with the
 * auditor library: the payout proof checked against the chain), what was paid already and a claim for the rest.
 */
export function ModelRevenue({ owner, paidJobs }: { owner: string; paidJobs: readonly string[] }) {
  const { provider, config } = useWallet();
  const registry = config.contracts.ModelRegistry;
  const trainingJobs = config.contracts.TrainingJobs;
  const jobs = paidJobs.join();
  const shares = useAsync(async (): Promise<ModelShare[]> => {
    if (provider === undefined || registry === undefined || trainingJobs === undefined) return [];
    const models = connectModelRegistry(registry, provider);
    const count = await models.modelCount();
    const wanted = new Set(paidJobs);
    const rows: ModelShare[] = [];
    for (let modelId = 1n; modelId <= count; modelId++) {
      const { jobId } = await models.getModel(modelId);
      if (!wanted.has(String(jobId))) continue;
      try {
        const share = await contributorShare({
          provider,
          modelRegistry: registry,
          trainingJobs,
          coordinatorUrl: config.coordinatorUrl,
          modelId,
          trainer: owner,
        });
        rows.push({ modelId, jobId, share, problem: undefined });
      } catch (error) {
        if (!(error instanceof RevenueClaimRefusedError)) throw error;
        rows.push({ modelId, jobId, share: undefined, problem: error.message });
      }
    }
    return rows;
  }, [provider, registry, trainingJobs, config.coordinatorUrl, owner, jobs]);
  if (registry === undefined || trainingJobs === undefined) return null;
  return (
    <section aria-labelledby="revenue-heading">
      <h2 id="revenue-heading">Revenue from model sales</h2>
      <Async state={shares} what="the models trained on your data">
        {(rows) =>
          rows.length === 0 ? (
            <Empty>No model on ModelRegistry was trained by a job that paid you.</Empty>
          ) : (
            <table aria-label="Revenue per model">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Job</th>
                  <th scope="col">Licences' pool</th>
                  <th scope="col">Your share</th>
                  <th scope="col">Paid to you</th>
                  <th scope="col">To claim</th>
                  <th scope="col">Claim</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <RevenueRow key={String(row.modelId)} row={row} onClaimed={() => shares.reload()} />
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </section>
  );
}

function RevenueRow({ row, onClaimed }: { row: ModelShare; onClaimed(): void }) {
  const { signer, config } = useWallet();
  const [state, setState] = useState<
    { kind: "idle" | "busy" } | { kind: "done"; amount: bigint; tx: string } | { kind: "error"; message: string }
  >({ kind: "idle" });
  const { share } = row;
  const amount = (value: bigint | undefined) => (value === undefined ? "—" : `${formatEther(value)} TRIB`);
  const claim = () => {
    if (signer === undefined) return;
    setState({ kind: "busy" });
    claimContributorRevenue({
      signer,
      modelRegistry: config.contracts.ModelRegistry as string,
      trainingJobs: config.contracts.TrainingJobs as string,
      coordinatorUrl: config.coordinatorUrl,
      modelId: row.modelId,
    }).then(
      (claimed) => {
        setState({ kind: "done", amount: claimed.amount, tx: claimed.txHash });
        onClaimed();
      },
      (error: unknown) =>
        setState({
          kind: "error",
          message: error instanceof RevenueClaimRefusedError ? error.message : refusalMessage(error, "ModelRegistry"),
        }),
    );
  };
  return (
    <tr>
      <td>{String(row.modelId)}</td>
      <td>{String(row.jobId)}</td>
      <td>{amount(share?.pool)}</td>
      <td>{amount(share?.entitled)}</td>
      <td>{amount(share?.claimed)}</td>
      <td data-testid={`revenue-claimable-${row.modelId}`}>{amount(share?.claimable)}</td>
      <td>
        {row.problem !== undefined ? (
          <span>{row.problem}</span>
        ) : state.kind === "done" ? (
          <span role="status">
            received {formatEther(state.amount)} TRIB in tx {state.tx.slice(0, 12)}…
          </span>
        ) : share === undefined || share.claimable === 0n ? (
          <span>nothing to claim</span>
        ) : (
          <button type="button" disabled={signer === undefined || state.kind === "busy"} onClick={claim}>
            Claim revenue of model {String(row.modelId)}
          </button>
        )}
        {state.kind === "error" ? <ErrorMessage>{errorMessage(state.message)}</ErrorMessage> : null}
      </td>
    </tr>
  );
}
