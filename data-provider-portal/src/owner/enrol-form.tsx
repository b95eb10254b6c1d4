import { type DatasetFileFormat, manifestBytes, manifestCid } from "@tributary/protocol";
import { useEffect, useId, useMemo, useState } from "react";
import { useApi } from "../api/use-api.js";
import { useWallet } from "../chain/wallet-context.js";
import { Empty, ErrorMessage } from "../ui/status.js";
import { errorMessage } from "../ui/use-async.js";
import { type Enrolled, enrolOnRegistry, parseEnrolTerms, refusalMessage } from "./enrol-dataset.js";
import { type PickedDataset, readPickedDataset } from "./picked-files.js";

/** The name `tributary dataset enrol` writes the manifest under, beside the data. */
const MANIFEST_FILE = "tributary-manifest.json";

type Reading =
  | { kind: "none" }
  | { kind: "reading" }
  | { kind: "error"; message: string }
  | { kind: "read"; dataset: PickedDataset; url: string };

type Sending =
  | { kind: "idle" }
  | { kind: "busy"; txHash?: string }
  | { kind: "error"; message: string }
  | { kind: "enrolled"; enrolled: Enrolled; indexed: boolean | undefined };

/**
 * Enrols a dataset from files the owner picks: read in this browser and never uploaded, the manifest and commitment
 * built with the code `tributary dataset enrol` runs, the manifest offered for saving beside the data (as the CLI
 * writes it there) and named `ipfs://<its CID>`, and the commitment registered on DatasetRegistry through the wallet
 * with the price per round and the ε/δ budget.
 */
export function EnrolForm({ onEnrolled }: { onEnrolled(): void }) {
  const { signer, config } = useWallet();
  const api = useApi();
  const registry = config.contracts.DatasetRegistry;
  const id = useId();
  const [files, setFiles] = useState<File[]>([]);
  const [format, setFormat] = useState<DatasetFileFormat | "">("");
  const [labelColumn, setLabelColumn] = useState("label");
  const [numClasses, setNumClasses] = useState("10");
  const [fields, setFields] = useState({ pricePerRound: "1", epsilon: "8", delta: "0.00001", metadataUri: "" });
  const [reading, setReading] = useState<Reading>({ kind: "none" });
  const [sending, setSending] = useState<Sending>({ kind: "idle" });

  useEffect(() => {
    if (files.length === 0) {
      setReading({ kind: "none" });
      return;
    }
    let live = true;
    let url: string | undefined;
    setReading({ kind: "reading" });
    const classes = Number(numClasses);
    const read =
      Number.isInteger(classes) && classes >= 2 && classes <= 65_536
        ? readPickedDataset(files, { format: format === "" ? undefined : format, labelColumn, numClasses: classes })
        : Promise.reject(new Error("the number of classes must be a whole number from 2 to 65536"));
    read.then(
      (dataset) => {
        url = URL.createObjectURL(
          new Blob([manifestBytes(dataset.manifest) as Uint8Array<ArrayBuffer>], { type: "application/json" }),
        );
        if (live) setReading({ kind: "read", dataset, url });
      },
      (error: unknown) => live && setReading({ kind: "error", message: errorMessage(error) }),
    );
    return () => {
      live = false;
      if (url !== undefined) URL.revokeObjectURL(url);
    };
  }, [files, format, labelColumn, numClasses]);

  const terms = useMemo(() => {
    try {
      return { ok: parseEnrolTerms(fields) } as const;
    } catch (error) {
      return { error: errorMessage(error) } as const;
    }
  }, [fields]);

  if (registry === undefined) return <Empty>This coordinator names no DatasetRegistry: enrol with the CLI.</Empty>;
  const dataset = reading.kind === "read" ? reading.dataset : undefined;
  const metadataURI =
    dataset === undefined ? "" : fields.metadataUri.trim() || `ipfs://${manifestCid(dataset.manifest)}`;
  const field = (name: keyof typeof fields, label: string, hint: string) => (
    <div className="field">
      <label>
        {label}
        <input
          name={name}
          value={fields[name]}
          inputMode={name === "metadataUri" ? "url" : "decimal"}
          aria-describedby={`${id}-${name}`}
          onChange={(event) => setFields({ ...fields, [name]: event.target.value })}
        />
      </label>
      <span className="hint" id={`${id}-${name}`}>
        {hint}
      </span>
    </div>
  );
  const enrol = () => {
    if (signer === undefined || dataset === undefined || terms.ok === undefined) return;
    setSending({ kind: "busy" });
    enrolOnRegistry(signer, registry, dataset.commitment, { ...terms.ok, metadataURI }, (txHash) =>
      setSending({ kind: "busy", txHash }),
    ).then(
      async (enrolled) => {
        setSending({ kind: "enrolled", enrolled, indexed: undefined });
        const indexed = await api.waitForDataset(enrolled.datasetId, dataset.commitment, 60_000);
        setSending({ kind: "enrolled", enrolled, indexed });
        onEnrolled();
      },
      (error: unknown) => setSending({ kind: "error", message: refusalMessage(error, "DatasetRegistry") }),
    );
  };
  return (
    <section aria-labelledby="enrol-heading" className="card enrol">
      <h2 id="enrol-heading">Enrol a dataset</h2>
      <p className="hint">
        Your files are read in this browser and never leave it: only the manifest's commitment (a SHA-256 of the files'
        hashes, record count, shape and label counts) goes on chain.
      </p>
      <fieldset>
        <legend>Data</legend>
        <label>
          Dataset files
          <input type="file" multiple onChange={(event) => setFiles([...(event.target.files ?? [])])} />
        </label>
        <label>
          Or a dataset folder
          <input
            type="file"
            {...{ webkitdirectory: "", directory: "" }}
            onChange={(event) => setFiles([...(event.target.files ?? [])])}
          />
        </label>
        <label>
          Format
          <select value={format} onChange={(event) => setFormat(event.target.value as DatasetFileFormat | "")}>
            <option value="">the one the files have</option>
            <option value="idx">IDX (MNIST-style images + labels)</option>
            <option value="csv">CSV</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        </label>
        <label>
          CSV label column
          <input value={labelColumn} onChange={(event) => setLabelColumn(event.target.value)} />
        </label>
        <label>
          Number of classes
          <input value={numClasses} inputMode="numeric" onChange={(event) => setNumClasses(event.target.value)} />
        </label>
      </fieldset>
      {reading.kind === "reading" ? (
        <p role="status" aria-live="polite">
          Reading and hashing {files.length} file(s) in your browser…
        </p>
      ) : null}
      {reading.kind === "error" ? <ErrorMessage>These files cannot be enrolled: {reading.message}</ErrorMessage> : null}
      {dataset === undefined || reading.kind !== "read" ? null : (
        <div className="manifest" data-testid="enrol-manifest">
          <p>
            {dataset.manifest.recordCount} {dataset.manifest.format} records of shape [
            {dataset.manifest.featureShape.join(", ")}], {dataset.manifest.numClasses} classes, from{" "}
            {dataset.manifest.shards.map((shard) => shard.name).join(" and ")}
            {dataset.ignored.length === 0 ? "" : ` (not part of it: ${dataset.ignored.join(", ")})`}.
          </p>
          <p>
            Commitment{" "}
            <span className="mono" data-testid="enrol-commitment">
              {dataset.commitment}
            </span>
          </p>
          <p>
            <a href={reading.url} download={MANIFEST_FILE}>
              Save {MANIFEST_FILE}
            </a>{" "}
            beside your data (as <code>tributary dataset enrol</code> writes it): its IPFS name{" "}
            <span className="mono">ipfs://{manifestCid(dataset.manifest)}</span> is the default metadata URI, and its
            hash is the commitment, so whoever fetches it can check it against the chain.
          </p>
        </div>
      )}
      <fieldset>
        <legend>Terms</legend>
        {field("pricePerRound", "Price per round (TRIB)", "what a job pays this dataset for each round it trains")}
        {field("epsilon", "Privacy budget ε", "the most ε all jobs together may spend on this dataset; above 0")}
        {field("delta", "Privacy budget δ", "between 0 and 1, e.g. 0.00001")}
        {field("metadataUri", "Metadata URI (optional)", "empty: the manifest's ipfs:// name")}
      </fieldset>
      {terms.error === undefined ? null : <ErrorMessage>{terms.error}</ErrorMessage>}
      {signer === undefined ? (
        <Empty>Connect your wallet to enrol.</Empty>
      ) : (
        <button
          type="button"
          disabled={dataset === undefined || terms.ok === undefined || sending.kind === "busy"}
          onClick={enrol}
        >
          Enrol on DatasetRegistry
        </button>
      )}
      {sending.kind === "busy" ? (
        <p role="status" aria-live="polite">
          {sending.txHash === undefined
            ? "Waiting for your wallet…"
            : `Sent in tx ${sending.txHash}, waiting for the chain…`}
        </p>
      ) : null}
      {sending.kind === "error" ? <ErrorMessage>{sending.message}</ErrorMessage> : null}
      {sending.kind === "enrolled" ? (
        <p role="status" data-testid="enrolled">
          Enrolled dataset {sending.enrolled.datasetId} in tx {sending.enrolled.txHash}.{" "}
          {sending.indexed === undefined
            ? "Waiting for the coordinator to index it (it reads the chain after its confirmations)…"
            : sending.indexed
              ? `The coordinator has indexed it: serve it with tributary trainer --dataset-id ${sending.enrolled.datasetId}.`
              : "The coordinator has not indexed it after a minute; it will list it once it reads the chain that far."}
        </p>
      ) : null}
    </section>
  );
}
