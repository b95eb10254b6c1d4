import { Interface, type Provider, zeroPadValue } from "ethers";
import { oceanArtifact } from "./ocean-artifacts.js";
import type { OceanDataset } from "./ocean-dataset.js";

/** An order that grants its consumer access to a dataset's compute service now. */
export interface OceanOrder {
  readonly txHash: string;
  readonly blockNumber: number;
  /** When the order started (the block's time, unix seconds). */
  readonly startedAt: number;
  /** When its access ends (`startedAt` + the service's timeout), or null for a service without timeout. */
  readonly expiresAt: number | null;
}

export type OceanOrderCheck =
  | { readonly valid: true; readonly order: OceanOrder }
  | { readonly valid: false; readonly reason: string };

/**
 * Whether `consumer` holds a valid order for the dataset's compute service, as an Ocean Provider checks one before it
 * serves (ocean-node's `validateOrderTransaction`): an `OrderStarted` event of the service's datatoken naming
 * `consumer` as the consumer and the service's index, started no longer than the service's `timeout` ago by the
 * chain's clock (`at`, default the latest block's timestamp; timeout 0: no expiry); and the asset's metadata state
 * must allow access. Every `OrderStarted` proves a datatoken was paid in (`startOrder` transfers one to the
 * publisher) and passed the datatoken's provider-fee check. `fromBlock`: where Ocean's contracts were deployed.
 */
export async function checkOceanOrder(input: {
  readonly provider: Provider;
  readonly dataset: OceanDataset;
  readonly consumer: string;
  readonly fromBlock: number;
  readonly at?: number | undefined;
}): Promise<OceanOrderCheck> {
  const { provider, dataset, consumer } = input;
  if (dataset.closed !== undefined) return { valid: false, reason: dataset.closed };
  const datatoken = new Interface(oceanArtifact("ERC20Template").abi);
  const started = datatoken.getEvent("OrderStarted");
  if (started === null) throw new Error("ERC20Template's ABI has no OrderStarted event");
  const logs = await provider.getLogs({
    address: dataset.datatoken,
    topics: [started.topicHash, zeroPadValue(consumer, 32)],
    fromBlock: input.fromBlock,
  });
  const at = input.at ?? (await provider.getBlock("latest"))?.timestamp;
  if (at === undefined) throw new Error("the chain has no latest block");
  const timeout = dataset.service.timeout;
  let expired: string | undefined;
  let otherService: number | undefined;
  for (const log of [...logs].reverse()) {
    const event = datatoken.parseLog({ topics: [...log.topics], data: log.data });
    if (event === null) continue;
    const serviceIndex = Number(event.args.getValue("serviceIndex"));
    if (serviceIndex !== dataset.serviceIndex) {
      otherService ??= serviceIndex;
      continue;
    }
    const startedAt = Number(event.args.getValue("timestamp"));
    const expiresAt = timeout === 0 ? null : startedAt + timeout;
    if (expiresAt === null || at <= expiresAt) {
      return {
        valid: true,
        order: { txHash: log.transactionHash, blockNumber: log.blockNumber, startedAt, expiresAt },
      };
    }
    expired ??= `its latest order (transaction ${log.transactionHash}) started at ${startedAt} and expired at ${expiresAt} (service timeout ${timeout}s; chain time ${at})`;
  }
  const who = `consumer ${consumer.toLowerCase()} holds no valid order for ${dataset.did} (datatoken ${dataset.datatoken}, service ${dataset.serviceIndex})`;
  if (expired !== undefined) return { valid: false, reason: `${who}: ${expired}` };
  if (otherService !== undefined) return { valid: false, reason: `${who}: its orders are for service ${otherService}` };
  return { valid: false, reason: `${who}: no OrderStarted names it as consumer` };
}
