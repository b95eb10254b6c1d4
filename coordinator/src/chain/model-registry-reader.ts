import type { ModelRegistry } from "@tributary/contracts/typed";
import type { ChainClient } from "./chain-client.js";

/** A registered model's fields that never change after `registerModel` (lower-case hex, decimal ids). */
export interface RegisteredModel {
  readonly modelId: string;
  readonly jobId: string;
  readonly modelHash: string;
}

/** Entries a cache keeps before it starts afresh (a licence or a model is one short string each). */
const CACHE_LIMIT = 100_000;

/** Adds to a bounded cache: when full it is emptied first, so memory stays bounded and answers stay correct. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

/**
 * What access control reads from ModelRegistry: licences, provider approvals and the immutable part of registered
 * models, through the coordinator's chain client. Every call is pinned to the head less the indexer's
 * `confirmations`, the chain's depth the coordinator trusts, so a purchase a reorganisation could undo opens
 * nothing. Cached only where a later block cannot change the answer: a licence held (ModelRegistry never revokes
 * one) and a model's job and hash (set once at registration). A refusal is never cached, so a licence bought a
 * moment ago counts as soon as it is confirmed; provider approvals can be revoked and are read every time.
 */
export class ModelRegistryReader {
  readonly address: string;
  readonly #contract: ModelRegistry;
  readonly #client: ChainClient;
  readonly #licences = new Map<string, true>();
  readonly #models = new Map<string, RegisteredModel>();

  constructor(client: ChainClient) {
    if (client.modelRegistry === undefined) throw new TypeError("ModelRegistryReader needs chain.modelRegistry");
    this.address = client.modelRegistry.address.toLowerCase();
    this.#contract = client.modelRegistry.contract;
    this.#client = client;
  }

  async #blockTag(): Promise<number> {
    return Math.max(0, (await this.#client.provider.getBlockNumber()) - this.#client.confirmations);
  }

  /** Whether `account` holds a licence for model `modelId` (false for an unknown model). */
  async hasLicense(modelId: bigint, account: string): Promise<boolean> {
    const key = `${modelId}:${account.toLowerCase()}`;
    if (this.#licences.has(key)) return true;
    const held = await this.#contract.hasLicense(modelId, account, { blockTag: await this.#blockTag() });
    if (held) remember(this.#licences, key, true);
    return held;
  }

  /** Model `modelId`'s job and weights hash; undefined when no such model is registered (yet, at the pinned block). */
  async model(modelId: bigint): Promise<RegisteredModel | undefined> {
    const cached = this.#models.get(String(modelId));
    if (cached !== undefined) return cached;
    const blockTag = await this.#blockTag();
    if (modelId < 1n || modelId > (await this.#contract.modelCount({ blockTag }))) return undefined;
    const model = await this.#contract.getModel(modelId, { blockTag });
    const registered = {
      modelId: String(modelId),
      jobId: String(model.jobId),
      modelHash: model.modelHash.toLowerCase(),
    };
    remember(this.#models, registered.modelId, registered);
    return registered;
  }

  /** Whether job `jobId`'s researcher has approved `account` as a provider of the job's models (now). */
  async isProviderApproved(jobId: string, account: string): Promise<boolean> {
    return this.#contract.isProviderApproved(BigInt(jobId), account, { blockTag: await this.#blockTag() });
  }
}
