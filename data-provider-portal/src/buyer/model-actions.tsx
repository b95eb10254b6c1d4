import type { ChannelPayerState } from "@tributary/buyer";
import { formatEther, parseEther } from "ethers";
import { useEffect, useMemo, useState } from "react";
import { useWallet } from "../chain/wallet-context.js";
import { Empty, ErrorMessage } from "../ui/status.js";
import { ChannelStore, resumableChannel } from "./channel-store.js";
import { buyLicence, chainErrorMessage, openChannel } from "./market-actions.js";
import type { CatalogueModel } from "./model-catalogue.js";
import { ModelTrial } from "./model-trial.js";

/** How long a channel opened here runs: an hour, past the provider's refusal margin with room to try the model. */
const CHANNEL_EXPIRES_IN_S = 3_600;

/** One model: its terms and metadata, the licence (bought here), the channel (opened here) and the trial. */
export function ModelActions({ model, onChanged }: { model: CatalogueModel; onChanged(): void }) {
  const { signer, config, address } = useWallet();
  const registry = config.contracts.ModelRegistry as string;
  const channels = config.contracts.PaymentChannels;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [deposit, setDeposit] = useState(formatEther(model.pricePerExample * 100n));
  const [channelId, setChannelId] = useState<bigint>();
  const [kept, setKept] = useState<ChannelPayerState>();
  const store = useMemo(
    () =>
      channels === undefined || address === undefined
        ? undefined
        : new ChannelStore({ chainId: config.chainId, paymentChannels: channels, buyer: address }),
    [channels, address, config.chainId],
  );
  // A channel this browser opened to the provider earlier (kept across reloads) and still open on chain: go on
  // paying on it from where it stopped rather than opening another.
  useEffect(() => {
    if (store === undefined || signer?.provider === undefined || channels === undefined || address === undefined) {
      return;
    }
    let live = true;
    resumableChannel(store, signer.provider, channels, {
      provider: model.provider,
      token: model.paymentToken,
      buyer: address,
    }).then(
      (resumed) => {
        if (!live || resumed === undefined) return;
        setKept(resumed.state);
        setChannelId(resumed.channelId);
        setNotice(`channel ${resumed.channelId}, opened in this browser before, goes on where it stopped`);
      },
      (caught: unknown) => live && setError(chainErrorMessage(caught)),
    );
    return () => {
      live = false;
    };
  }, [store, signer, channels, address, model.provider, model.paymentToken]);
  const run = (action: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    action()
      .then(setNotice, (caught: unknown) => setError(chainErrorMessage(caught)))
      .finally(() => setBusy(false));
  };
  const amount = parseDeposit(deposit);
  const token = model.tokenSymbol;
  return (
    <section aria-labelledby="model-heading" className="card">
      <h2 id="model-heading">Model {String(model.modelId)}</h2>
      <p>
        Provider <span className="mono">{model.provider}</span>, endpoint <span className="mono">{model.endpoint}</span>
        <br />
        {model.metadata === null
          ? `No metadata shown: ${model.metadataProblem ?? "none"}.`
          : `Trained by job ${model.metadata.jobId} (${model.metadata.task}), ${model.metadata.parameters} parameters.`}
      </p>
      {signer === undefined ? (
        <Empty>Connect your wallet to buy a licence.</Empty>
      ) : (
        <>
          <h3>Licence</h3>
          {model.licensed ? (
            <p data-testid="licence-held">You hold a licence for this model.</p>
          ) : (
            <>
              <p>
                The licence costs{" "}
                <strong>
                  {formatEther(model.licencePrice)} {token}
                </strong>
                , sent to ModelRegistry (which splits it between the provider, the researcher and the data owners).
              </p>
              <button
                type="button"
                disabled={busy || !model.active}
                onClick={() =>
                  run(async () => {
                    const tx = await buyLicence(signer, registry, model);
                    onChanged();
                    return `licence bought in tx ${tx}`;
                  })
                }
              >
                Buy licence for {formatEther(model.licencePrice)} {token}
              </button>
            </>
          )}
          <h3>Payment channel</h3>
          {channels === undefined ? (
            <Empty>
              The coordinator names no PaymentChannels contract: open a channel with `tributary channel open`.
            </Empty>
          ) : channelId === undefined ? (
            <>
              <label>
                Deposit ({token})
                <input value={deposit} inputMode="decimal" onChange={(event) => setDeposit(event.target.value)} />
              </label>
              {amount === undefined ? (
                <ErrorMessage>The deposit must be a positive amount of {token}.</ErrorMessage>
              ) : null}
              <button
                type="button"
                disabled={busy || amount === undefined}
                onClick={() =>
                  run(async () => {
                    const id = await openChannel(signer, channels, {
                      provider: model.provider,
                      token: model.paymentToken,
                      deposit: amount as bigint,
                      expiresInS: CHANNEL_EXPIRES_IN_S,
                    });
                    const fresh = { served: 0n, uncertain: 0n, unanswered: 0n, signed: 0n, requests: 0 };
                    store?.save({ channelId: id, provider: model.provider, token: model.paymentToken, state: fresh });
                    setKept(fresh);
                    setChannelId(id);
                    return `channel ${id} opened to ${model.provider}`;
                  })
                }
              >
                Open a channel with {amount === undefined ? "—" : formatEther(amount)} {token}
              </button>
              <p className="hint">The deposit stays yours until the provider redeems vouchers; it runs for one hour.</p>
            </>
          ) : (
            <p data-testid="channel-open">
              Channel {String(channelId)} is open to the provider (kept in this browser: a reload goes on paying on it).
            </p>
          )}
          {busy ? (
            <p role="status" aria-live="polite">
              Waiting for your wallet and the chain…
            </p>
          ) : null}
          {notice === undefined ? null : <p role="status">{notice}</p>}
          {error === undefined ? null : <ErrorMessage>{error}</ErrorMessage>}
          {channelId === undefined || channels === undefined ? null : (
            <ModelTrial
              model={model}
              channelId={channelId}
              kept={kept}
              store={store}
              signer={signer}
              chainId={config.chainId}
              paymentChannels={channels}
            />
          )}
        </>
      )}
    </section>
  );
}

/** A deposit typed in tokens, in base units; undefined when it is not a positive amount. */
function parseDeposit(text: string): bigint | undefined {
  try {
    const amount = parseEther(text.trim());
    return amount > 0n ? amount : undefined;
  } catch {
    return undefined;
  }
}
