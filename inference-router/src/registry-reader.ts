import type { ModelRegistry, Staking } from "@tributary/contracts/typed";
import type { Bytes32 } from "@tributary/protocol";
import { RouterRefusedError } from "./router-error.js";
import type { SlashRecord } from "./slash-record.js";

/** A provider the router may send requests to: its standing on ModelRegistry and Staking, read now. */
export interface ProviderStanding {
  readonly modelHash: Bytes32;
  /** The model's reputation on ModelRegistry when the provider is the listing's own; 0 for a licensee. */
  readonly reputation: bigint;
  /** The disputes the listing lost (`ModelSlashed`) when the provider is the listing's own; 0 for a licensee. */
  readonly slashes: number;
  readonly stake: bigint;
  readonly minStake: bigint;
  /** The model's payment token, lower case. */
  readonly paymentToken: string;
}

/**
 * The router's reads of ModelRegistry and Staking. A model's hash is set at registration and never changes, so it is
 * read once; everything else (active, licences, stake, reputation) is read every time it is asked, and the listings'
 * lost disputes come from `slashes` (as last updated, `updateSlashes`) when the router follows them.
 */
export class RegistryReader {
  readonly #hashes = new Map<bigint, Bytes32>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly staking: Staking,
    private readonly slashes?: SlashRecord,
  ) {}

  /** Reads the `ModelSlashed` events since the last read (nothing when the router does not follow them). */
  async updateSlashes(): Promise<void> {
    await this.slashes?.update();
  }

  /** The modelHash of model `modelId`; `MODEL_UNKNOWN` (404) when ModelRegistry has none. */
  async modelHashOf(modelId: bigint): Promise<Bytes32> {
    const known = this.#hashes.get(modelId);
    if (known !== undefined) return known;
    if (modelId === 0n || modelId > (await this.registry.modelCount())) {
      throw new RouterRefusedError("MODEL_UNKNOWN", 404, `ModelRegistry has no model ${modelId}`);
    }
    const hash = (await this.registry.getModel(modelId)).modelHash.toLowerCase() as Bytes32;
    this.#hashes.set(modelId, hash);
    return hash;
  }

  /**
   * Whether `provider` may serve model `modelId` now: the model exists (`MODEL_UNKNOWN`) and is active
   * (`MODEL_INACTIVE`); the provider is its listing's provider or holds a licence (`NOT_MODEL_PROVIDER`); and its
   * active stake on Staking is at least ModelRegistry's `minModelStake` (`PROVIDER_UNSTAKED`).
   */
  async standing(modelId: bigint, provider: string): Promise<ProviderStanding> {
    const modelHash = await this.modelHashOf(modelId);
    const [model, parameters, stake] = await Promise.all([
      this.registry.getModel(modelId),
      this.registry.parameters(),
      this.staking.stakeOf(provider),
    ]);
    if (!model.active) throw new RouterRefusedError("MODEL_INACTIVE", 403, `model ${modelId} is deactivated`);
    const own = model.provider.toLowerCase() === provider;
    if (!own && !(await this.registry.hasLicense(modelId, provider))) {
      throw new RouterRefusedError(
        "NOT_MODEL_PROVIDER",
        403,
        `${provider} is neither model ${modelId}'s provider (${model.provider.toLowerCase()}) nor a licensee`,
      );
    }
    const minStake = parameters.minModelStake;
    if (stake < minStake || stake === 0n) {
      throw new RouterRefusedError(
        "PROVIDER_UNSTAKED",
        403,
        `${provider} has ${stake} staked on Staking, less than ModelRegistry's minimum ${minStake}`,
        { stake: stake.toString(), minStake: minStake.toString() },
      );
    }
    return {
      modelHash,
      reputation: own ? model.reputationScore : 0n,
      slashes: own ? (this.slashes?.slashesOf(modelId) ?? 0) : 0,
      stake,
      minStake,
      paymentToken: model.paymentToken.toLowerCase(),
    };
  }
}
