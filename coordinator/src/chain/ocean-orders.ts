import { checkOceanOrder, findOceanDataset, type OceanAddresses } from "@tributary/contracts/ocean";
import type { ChainClient } from "./chain-client.js";

/**
 * Ocean Protocol's word on a job's datasets (only with `chain.ocean`, Ocean's contracts on the coordinator's chain):
 * a dataset its owner published on Ocean (`findOceanDataset`: a data NFT of Ocean's factory, owned by the dataset's
 * owner, binding it to a compute datatoken) may be trained on only for a researcher holding a valid order of that
 * datatoken (`checkOceanOrder`: an `OrderStarted` naming the researcher as consumer, within the service's timeout).
 * Read at the chain's head each time it is asked, so an order placed after the job was created counts at the
 * adopter's next poll.
 */
export class OceanOrders {
  readonly #client: ChainClient;
  readonly #ocean: OceanAddresses | undefined;

  constructor(client: ChainClient, ocean: OceanAddresses | undefined) {
    this.#client = client;
    this.#ocean = ocean;
  }

  /** Whether Ocean's contracts are configured (else no dataset counts as published there). */
  get enabled(): boolean {
    return this.#ocean !== undefined;
  }

  /** Why `researcher` may not train on `datasetIds` by Ocean's rules, or undefined when it may. */
  async refusal(datasetIds: readonly string[], researcher: string): Promise<string | undefined> {
    const ocean = this.#ocean;
    if (ocean === undefined) return undefined;
    const provider = this.#client.provider;
    for (const datasetId of datasetIds) {
      const found = await findOceanDataset({
        provider,
        ocean,
        datasetRegistry: this.#client.datasetRegistry.address,
        datasetId,
      });
      if (found.kind === "none") continue;
      if (found.kind === "invalid") {
        return `dataset ${datasetId} is published on Ocean (data NFT ${found.nft}) but no order can be checked against it: ${found.reason}`;
      }
      const order = await checkOceanOrder({
        provider,
        dataset: found.dataset,
        consumer: researcher,
        fromBlock: ocean.startBlock,
      });
      if (!order.valid) {
        return `dataset ${datasetId} is published on Ocean as ${found.dataset.did}: the researcher must hold a datatoken order for it (tributary ocean order ${datasetId}): ${order.reason}`;
      }
    }
    return undefined;
  }
}
