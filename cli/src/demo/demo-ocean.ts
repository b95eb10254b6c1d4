import type { OceanAddresses } from "@tributary/contracts/ocean";
import { connectDatasetRegistry } from "@tributary/contracts/typed";
import type { Output } from "../chain/output.js";
import { orderOnOcean } from "../ocean/order-on-ocean.js";
import { publishOnOcean } from "../ocean/publish-on-ocean.js";
import type { DemoChain } from "./demo-chain.js";
import type { DemoOwner } from "./demo-owners.js";
import type { OceanDemoResult } from "./ocean-summary.js";

/** Seconds a researcher's order of a demo dataset grants access: a day, far longer than a demo job. */
const ORDER_TIMEOUT_S = 86_400;

/**
 * Owner `owner` publishes its enrolled dataset on Ocean, as `tributary dataset ocean-publish` does: a data NFT and a
 * compute datatoken with a free dispenser, its DDO's compute service pointing at the coordinator its agent serves.
 */
export async function publishDemoDataset(input: {
  readonly out: Output;
  readonly chain: DemoChain;
  readonly ocean: OceanAddresses;
  readonly owner: DemoOwner;
  readonly coordinatorUrl: string;
  readonly result: OceanDemoResult;
}): Promise<void> {
  const { chain, owner } = input;
  const published = await publishOnOcean(input.out, {
    wallet: owner.wallet,
    registry: connectDatasetRegistry(chain.deployment.contracts.DatasetRegistry, chain.provider),
    ocean: input.ocean,
    datasetId: owner.datasetId,
    serviceEndpoint: input.coordinatorUrl,
    timeout: ORDER_TIMEOUT_S,
  });
  input.result.nfts.push(published.dataset.nft);
  input.result.datatokens.push(published.dataset.datatoken);
  input.result.dids.push(published.dataset.did);
}

/**
 * The researcher orders the compute service of every owner's dataset before creating its job, as `tributary ocean
 * order` does (a datatoken from the dispenser, then `startOrder`): without the orders the coordinator would not
 * adopt the job, nor the owners' agents train for it. Returns the order transactions.
 */
export async function orderDemoDatasets(input: {
  readonly out: Output;
  readonly chain: DemoChain;
  readonly ocean: OceanAddresses;
  readonly owners: readonly DemoOwner[];
}): Promise<string[]> {
  const orders: string[] = [];
  for (const owner of input.owners) {
    const ordered = await orderOnOcean(input.out, {
      wallet: input.chain.researcher,
      ocean: input.ocean,
      datasetRegistry: input.chain.deployment.contracts.DatasetRegistry,
      datasetId: owner.datasetId,
    });
    orders.push(ordered.order.txHash);
  }
  return orders;
}
