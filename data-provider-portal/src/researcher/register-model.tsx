import { connectModelRegistry } from "@tributary/contracts/typed";
import { formatEther, parseEther } from "ethers";
import { type FormEvent, useId, useState } from "react";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { Empty, ErrorMessage } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { chainErrorText } from "./chain-errors.js";
import { type RegisteredModel, registerModelFromPage } from "./register-model-flow.js";

/** An amount of TRIB typed in a field, or the problem with it (zero allowed when `zero`). */
function amountOf(text: string, zero: boolean): bigint | string {
  try {
    const value = parseEther(text.trim());
    if (value < 0n || (!zero && value === 0n)) return zero ? "must not be negative" : "must be more than zero";
    return value;
  } catch {
    return "must be an amount of TRIB such as 0, 10 or 2.5";
  }
}

/**
 * Lists a finalised job's final model on ModelRegistry from the job page, as `tributary model register` does: the
 * stake to lock (ModelRegistry's minimum by default, staked first when not free), the licence price, the price per
 * request and the endpoint that serves it.
 */
export function RegisterModel({ jobId }: { jobId: string }) {
  const id = useId();
  const { provider, signer, config } = useWallet();
  const api = useApi();
  const {
    ModelRegistry: modelRegistry,
    Staking: staking,
    TributaryToken: token,
    TrainingJobs: trainingJobs,
  } = config.contracts;
  const minimum = useAsync(async () => {
    if (provider === undefined || modelRegistry === undefined) return undefined;
    return (await connectModelRegistry(modelRegistry, provider).parameters()).minModelStake;
  }, [provider, modelRegistry]);
  const [stake, setStake] = useState<string>();
  const [licence, setLicence] = useState("10");
  const [perRequest, setPerRequest] = useState("0.01");
  const [endpoint, setEndpoint] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [steps, setSteps] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [registered, setRegistered] = useState<RegisteredModel>();

  if (modelRegistry === undefined || staking === undefined || token === undefined || trainingJobs === undefined) {
    return <Empty>This coordinator names no ModelRegistry or Staking: register the model with the CLI.</Empty>;
  }
  if (signer === undefined || provider === undefined) return null;
  const stakeText =
    stake ?? (minimum.kind === "ready" && minimum.value !== undefined ? formatEther(minimum.value) : "");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = {
      stake: amountOf(stakeText, false),
      licence: amountOf(licence, true),
      perRequest: amountOf(perRequest, true),
    };
    const found: Record<string, string> = {};
    for (const [name, value] of Object.entries(parsed)) if (typeof value === "string") found[name] = value;
    if (endpoint.trim() !== "" && !/^https?:\/\/\S+$/.test(endpoint.trim())) found.endpoint = "must be an http(s) URL";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    setError(undefined);
    setSteps([]);
    registerModelFromPage({
      api,
      signer,
      provider,
      contracts: { chainId: config.chainId, trainingJobs, modelRegistry, staking, paymentToken: token },
      jobId,
      offer: {
        stake: parsed.stake as bigint,
        licencePrice: parsed.licence as bigint,
        pricePerRequest: parsed.perRequest as bigint,
        endpoint: endpoint.trim(),
      },
      step: (text) => setSteps((old) => [...old, text]),
    })
      .then(setRegistered, (caught: unknown) => setError(chainErrorText(caught)))
      .finally(() => setBusy(false));
  };
  const input = (name: string, label: string, value: string, set: (value: string) => void) => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        value={value}
        onChange={(event) => set(event.target.value)}
        aria-invalid={errors[name] === undefined ? undefined : true}
        aria-describedby={errors[name] === undefined ? undefined : `${id}-${name}-error`}
      />
      {errors[name] === undefined ? null : (
        <p className="field-error" id={`${id}-${name}-error`}>
          {label} {errors[name]}
        </p>
      )}
    </div>
  );
  if (registered !== undefined) {
    const accuracy = registered.metadata.validation?.accuracy;
    return (
      <p role="status" data-testid="model-registered">
        Model {registered.modelId} registered on ModelRegistry as {registered.modelURI}
        {accuracy === undefined ? "" : `, accuracy ${(accuracy * 100).toFixed(2)} % on the validation set`} (tx{" "}
        {registered.tx}).
      </p>
    );
  }
  return (
    <form className="job-form" onSubmit={submit} noValidate aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Register the model</h3>
      <div className="field-row">
        {input("stake", "Stake to lock (TRIB)", stakeText, setStake)}
        {input("licence", "Licence price (TRIB)", licence, setLicence)}
        {input("perRequest", "Price per request (TRIB)", perRequest, setPerRequest)}
      </div>
      {input("endpoint", "Endpoint that serves it (optional)", endpoint, setEndpoint)}
      <button type="submit" disabled={busy}>
        Register the model of job {jobId}
      </button>
      {steps.length === 0 ? null : (
        <ol className="steps" aria-live="polite">
          {steps.map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ol>
      )}
      {error === undefined ? null : <ErrorMessage>{error}</ErrorMessage>}
    </form>
  );
}
