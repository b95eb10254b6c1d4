import { ChannelPayer, type ChannelPayerState, InferenceClient, type Prediction } from "@tributary/buyer";
import type { Address } from "@tributary/protocol";
import { formatEther, type JsonRpcSigner } from "ethers";
import { useState } from "react";
import { ErrorMessage, Loading } from "../ui/status.js";
import { errorMessage, useAsync } from "../ui/use-async.js";
import type { ChannelStore } from "./channel-store.js";
import { DigitPad } from "./digit-pad.js";
import type { CatalogueModel } from "./model-catalogue.js";

/** The most probable class of a prediction's first example. */
function predictedClass(outputs: number[]): { digit: number; probability: number } {
  let best = 0;
  for (let i = 1; i < outputs.length; i++) if ((outputs[i] ?? 0) > (outputs[best] ?? 0)) best = i;
  return { digit: best, probability: outputs[best] ?? 0 };
}

/**
 * Tries model `model` in the page: a digit drawn or picked, sent to the provider's registered endpoint as a paid
 * request (`InferenceClient`, each voucher signed by the wallet through `ChannelPayer`, each receipt checked against
 * the provider's address and the model's hash from ModelRegistry), the class predicted and the channel's spend.
 */
export function ModelTrial(props: {
  model: CatalogueModel;
  channelId: bigint;
  /** What was kept of the channel (this session's opening, or an earlier session's in this browser). */
  kept: ChannelPayerState | undefined;
  /** Where the channel's state is kept after each voucher and answer (undefined: nowhere). */
  store: ChannelStore | undefined;
  signer: JsonRpcSigner;
  chainId: number;
  paymentChannels: string;
}) {
  const { model, channelId, signer } = props;
  const client = useAsync(async () => {
    const payer = new ChannelPayer(
      signer,
      { chainId: BigInt(props.chainId), contract: props.paymentChannels.toLowerCase() as Address },
      channelId,
      props.kept,
    );
    const store = props.store;
    return InferenceClient.connect(model.endpoint, {
      payer,
      persist: async () =>
        store?.save({ channelId, provider: model.provider, token: model.paymentToken, state: payer.state() }),
      expect: { provider: model.provider, modelHash: model.modelHash },
    }).catch((error: unknown) => {
      throw new Error(
        `the provider at ${model.endpoint} could not be reached or is not the one registered: ${errorMessage(error)}`,
      );
    });
  }, [model.endpoint, model.provider, model.modelHash, signer, channelId, props.chainId, props.paymentChannels]);
  const [pixels, setPixels] = useState<Float32Array>();
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Prediction>();
  const [error, setError] = useState<string>();
  if (client.kind === "loading") return <Loading what="the provider's terms" />;
  if (client.kind === "error") return <ErrorMessage>{client.message}</ErrorMessage>;
  const inference = client.value;
  const spending = inference.spending();
  const price = BigInt(inference.info.pricePerExample);
  const best = answer === undefined ? undefined : predictedClass(answer.outputs[0] ?? []);
  return (
    <section aria-labelledby="trial-heading" className="trial">
      <h3 id="trial-heading">Try model {String(model.modelId)}</h3>
      <p>
        Each request costs {formatEther(price)} {model.tokenSymbol}, paid by a voucher on channel {String(channelId)}{" "}
        signed by your wallet.
      </p>
      <DigitPad onPixels={setPixels} />
      <button
        type="button"
        disabled={busy || pixels === undefined}
        onClick={() => {
          if (pixels === undefined) return;
          setBusy(true);
          setError(undefined);
          inference
            .predict(pixels)
            .then(setAnswer, (caught: unknown) => setError(`the request failed: ${errorMessage(caught)}`))
            .finally(() => setBusy(false));
        }}
      >
        {busy ? "Asking the model…" : `Predict (pay ${formatEther(price)} ${model.tokenSymbol})`}
      </button>
      {pixels === undefined ? <p className="empty">Draw a digit or pick a sample first.</p> : null}
      {error === undefined ? null : <ErrorMessage>{error}</ErrorMessage>}
      {answer === undefined || best === undefined ? null : (
        <div role="status" aria-live="polite">
          <p className="prediction" data-testid="predicted-class">
            The model reads <strong>{best.digit}</strong> ({(best.probability * 100).toFixed(1)} %)
          </p>
          <p>Receipt signed by the provider {answer.provider} and checked: your inputs, its outputs and the price.</p>
          <details>
            <summary>Receipt</summary>
            <pre data-testid="receipt-json">
              {JSON.stringify(
                {
                  receipt: { ...answer.receipt, price: String(answer.receipt.price) },
                  signature: answer.signature,
                  outputs: answer.outputs,
                },
                null,
                1,
              )}
            </pre>
          </details>
        </div>
      )}
      {spending === undefined ? null : (
        <dl className="spend" data-testid="spend">
          <dt>Answers received</dt>
          <dd data-testid="spend-requests">{spending.requests}</dd>
          <dt>Served (owed to the provider)</dt>
          <dd data-testid="spend-served">
            {formatEther(spending.served)} {model.tokenSymbol}
          </dd>
          <dt>Highest voucher signed</dt>
          <dd data-testid="spend-signed">
            {formatEther(spending.signed)} {model.tokenSymbol}
          </dd>
        </dl>
      )}
    </section>
  );
}
