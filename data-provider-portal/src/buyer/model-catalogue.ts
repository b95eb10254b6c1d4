import { sha256OfCid } from "@tributary/auditor";
import { connectModelRegistry, connectTributaryToken } from "@tributary/contracts/typed";
import { type ModelMetadata, ModelMetadataSchema, metadataCidOfUri } from "@tributary/protocol";
import { type Provider, sha256 } from "ethers";

/** A model as ModelRegistry holds it, with its metadata when the coordinator serves it and it checks. */
export interface CatalogueModel {
  readonly modelId: bigint;
  readonly provider: string;
  readonly active: boolean;
  readonly jobId: bigint;
  readonly modelHash: string;
  readonly pricePerExample: bigint;
  readonly licencePrice: bigint;
  readonly reputation: bigint;
  readonly endpoint: string;
  readonly paymentToken: string;
  readonly tokenSymbol: string;
  readonly licensed: boolean;
  readonly metadata: ModelMetadata | null;
  /** Why no metadata is shown, in words. */
  readonly metadataProblem: string | null;
}

/**
 * The metadata `modelURI` (`ipfs://<CID>`) names, read from the coordinator's `GET /model-metadata/:cid` and kept only
 * when its bytes hash to the CID and it names the model's job and weights (as `tributary model list` checks them).
 */
export async function readMetadata(
  coordinatorUrl: string,
  model: { jobId: bigint; modelHash: string; modelURI: string },
): Promise<{ metadata: ModelMetadata | null; problem: string | null }> {
  if (model.jobId === 0n) return { metadata: null, problem: "the model references no training job" };
  const cid = metadataCidOfUri(model.modelURI);
  if (cid === undefined) return { metadata: null, problem: `its modelURI ${model.modelURI} is not ipfs://<CID>` };
  const response = await fetch(`${coordinatorUrl}/model-metadata/${cid}`).catch(() => undefined);
  if (response === undefined || !response.ok) {
    return { metadata: null, problem: `the coordinator does not serve ${cid} (HTTP ${response?.status ?? "—"})` };
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (sha256(bytes) !== sha256OfCid(cid)) return { metadata: null, problem: `the bytes served do not hash to ${cid}` };
  const parsed = ModelMetadataSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) return { metadata: null, problem: "the document served is not model metadata" };
  const metadata = parsed.data;
  if (metadata.jobId !== String(model.jobId) || metadata.modelHash !== model.modelHash.toLowerCase()) {
    return { metadata: null, problem: "the metadata describes another job or other weights" };
  }
  return { metadata, problem: null };
}

/** Every model of ModelRegistry `registry` (ids 1 to `modelCount()`), read through the wallet's chain provider. */
export async function listModels(
  provider: Provider,
  registry: string,
  coordinatorUrl: string,
  buyer: string | undefined,
): Promise<CatalogueModel[]> {
  const models = connectModelRegistry(registry, provider);
  const count = await models.modelCount();
  const symbols = new Map<string, string>();
  const listed: CatalogueModel[] = [];
  for (let id = 1n; id <= count; id++) {
    const model = await models.getModel(id);
    let symbol = symbols.get(model.paymentToken);
    if (symbol === undefined) {
      symbol = await connectTributaryToken(model.paymentToken, provider)
        .symbol()
        .catch(() => "tokens");
      symbols.set(model.paymentToken, symbol);
    }
    const { metadata, problem } = await readMetadata(coordinatorUrl, model);
    listed.push({
      modelId: id,
      provider: model.provider.toLowerCase(),
      active: model.active,
      jobId: model.jobId,
      modelHash: model.modelHash.toLowerCase(),
      pricePerExample: model.pricePerToken,
      licencePrice: model.licensePrice,
      reputation: model.reputationScore,
      endpoint: model.endpoint,
      paymentToken: model.paymentToken,
      tokenSymbol: symbol,
      licensed: buyer === undefined ? false : await models.hasLicense(id, buyer),
      metadata,
      metadataProblem: problem,
    });
  }
  return listed;
}

/** The most ε any of the model's datasets spent, or undefined when none reports one (trained without DP). */
export function maxEpsilon(metadata: ModelMetadata | null): number | undefined {
  const spent = (metadata?.privacy ?? []).flatMap((entry) => (entry.epsilon === null ? [] : [entry.epsilon]));
  return spent.length === 0 ? undefined : Math.max(...spent);
}
