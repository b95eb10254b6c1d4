import { connectTreasury } from "@tributary/contracts/typed";
import type { ChainClient } from "./chain-client.js";

/**
 * The ERC-20 tokens an on-chain job may pay in for this coordinator to adopt it. Governance keeps no token
 * allowlist on chain (TrainingJobs accepts any token), so the list is the coordinator's configuration
 * (`chain.paymentTokens`); absent, it is the deployment's TributaryToken, read once from the chain as the token
 * the treasury burns (`Treasury(TrainingJobs.treasury()).burnToken()`). Addresses are lower-case.
 */
export class PaymentTokens {
  readonly #client: ChainClient;
  readonly #configured: readonly string[] | undefined;
  #allowed: Promise<ReadonlySet<string>> | undefined;

  constructor(client: ChainClient, configured: readonly string[] | undefined) {
    this.#client = client;
    this.#configured = configured;
  }

  /** The allowed tokens (an RPC failure is not cached: the next call reads again). */
  allowed(): Promise<ReadonlySet<string>> {
    if (this.#allowed === undefined) {
      this.#allowed = this.#read();
      this.#allowed.catch(() => {
        this.#allowed = undefined;
      });
    }
    return this.#allowed;
  }

  async #read(): Promise<ReadonlySet<string>> {
    if (this.#configured !== undefined) return new Set(this.#configured.map((token) => token.toLowerCase()));
    const treasury = connectTreasury(await this.#client.trainingJobs.contract.treasury(), this.#client.provider);
    return new Set([(await treasury.burnToken()).toLowerCase()]);
  }
}
