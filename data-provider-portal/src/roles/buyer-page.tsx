import { formatEther } from "ethers";
import { useState } from "react";
import { ModelActions } from "../buyer/model-actions.js";
import { type CatalogueModel, listModels, maxEpsilon } from "../buyer/model-catalogue.js";
import { useWallet } from "../chain/wallet-context.js";
import { Async, Empty } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";

/**
 * The model buyer: ModelRegistry's models read through the wallet's chain provider (accuracy and ε from their
 * checked metadata), a licence bought, a channel opened to the model's provider and paid predictions in the page.
 */
export function BuyerPage() {
  const { provider, address, config } = useWallet();
  const registry = config.contracts.ModelRegistry;
  const [selected, setSelected] = useState<bigint>();
  const models = useAsync(async () => {
    if (provider === undefined || registry === undefined) return undefined;
    return listModels(provider, registry, config.coordinatorUrl, address);
  }, [provider, registry, config.coordinatorUrl, address]);
  if (registry === undefined)
    return <Empty>This coordinator names no ModelRegistry: there are no models to buy.</Empty>;
  if (provider === undefined) return <Empty>Connect your wallet to browse the models on ModelRegistry.</Empty>;
  return (
    <Async state={models} what="the models on ModelRegistry">
      {(list) => {
        if (list === undefined) return null;
        const model = list.find((one) => one.modelId === selected);
        return (
          <>
            <section aria-labelledby="models-heading">
              <h2 id="models-heading">Models for sale</h2>
              {list.length === 0 ? (
                <Empty>ModelRegistry {registry} lists no model yet.</Empty>
              ) : (
                <ModelTable models={list} selected={selected} onPick={setSelected} />
              )}
            </section>
            {model === undefined ? null : (
              <ModelActions key={String(model.modelId)} model={model} onChanged={() => models.reload()} />
            )}
          </>
        );
      }}
    </Async>
  );
}

function ModelTable(props: { models: CatalogueModel[]; selected: bigint | undefined; onPick(id: bigint): void }) {
  return (
    <table className="models">
      <caption className="visually-hidden">Models</caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Accuracy</th>
          <th scope="col">Most ε spent</th>
          <th scope="col">Licence</th>
          <th scope="col">Per request</th>
          <th scope="col">Reputation</th>
          <th scope="col">Yours</th>
          <th scope="col">
            <span className="visually-hidden">Open</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.models.map((model) => {
          const epsilon = maxEpsilon(model.metadata);
          const accuracy = model.metadata?.validation?.accuracy;
          return (
            <tr key={String(model.modelId)} aria-selected={model.modelId === props.selected}>
              <td>
                {String(model.modelId)}
                {model.active ? "" : " (deactivated)"}
              </td>
              <td title={model.metadataProblem ?? undefined}>
                {accuracy === undefined ? "—" : `${(accuracy * 100).toFixed(1)} %`}
              </td>
              <td>{epsilon === undefined ? "—" : `ε = ${epsilon.toFixed(2)}`}</td>
              <td>
                {formatEther(model.licencePrice)} {model.tokenSymbol}
              </td>
              <td>
                {formatEther(model.pricePerExample)} {model.tokenSymbol}
              </td>
              <td>{String(model.reputation)}</td>
              <td>{model.licensed ? "licensed" : "—"}</td>
              <td>
                <button type="button" onClick={() => props.onPick(model.modelId)}>
                  Open model {String(model.modelId)}
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
