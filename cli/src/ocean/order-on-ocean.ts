import { Datatoken, Dispenser, type ProviderFees } from "@oceanprotocol/lib";
import { checkOceanOrder, type OceanAddresses, type OceanDataset, type OceanOrder } from "@tributary/contracts/ocean";
import { TributaryError } from "@tributary/protocol";
import { parseEther, type Signer, ZeroAddress, ZeroHash } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { OCEAN_NETWORK, oceanLibConfig } from "./ocean-lib-config.js";
import { publishedDataset } from "./published-dataset.js";

/**
 * No provider fee: no Ocean Provider prices the compute (the owner's trainer agent runs it, paid per round on
 * TrainingJobs). The datatoken's `_checkProviderFee` accepts it because `ecrecover` of an empty signature is the
 * zero address, the fee's `providerFeeAddress`; with a zero amount nothing is transferred.
 */
const NO_PROVIDER_FEE: ProviderFees = {
  providerFeeAddress: ZeroAddress,
  providerFeeToken: ZeroAddress,
  providerFeeAmount: "0",
  v: "0",
  r: ZeroHash,
  s: ZeroHash,
  providerData: "0x",
  validUntil: "0",
};

export interface OrderOnOceanInput {
  /** The researcher (the order's consumer and payer), connected to the chain. */
  readonly wallet: Signer;
  readonly ocean: OceanAddresses;
  readonly datasetRegistry: string;
  readonly datasetId: string;
}

export interface OrderedOnOcean {
  readonly dataset: OceanDataset;
  readonly order: OceanOrder;
  /** False when the researcher already held a valid order (nothing sent). */
  readonly ordered: boolean;
  readonly transactions: readonly MinedTransaction[];
}

/**
 * The researcher orders the compute service of a dataset published on Ocean, with `@oceanprotocol/lib`: unless it
 * already holds a datatoken, it takes one from the datatoken's dispenser (`Dispenser.dispense`), then starts the
 * order as its own consumer (`Datatoken.startOrder`, which pays the datatoken to the publisher). A valid order it
 * already holds is returned without sending anything. Refuses a dataset not on Ocean, or published unreadably.
 */
export async function orderOnOcean(out: Output, input: OrderOnOceanInput): Promise<OrderedOnOcean> {
  const { wallet, ocean } = input;
  const provider = wallet.provider;
  if (provider === null) throw new TributaryError("INVALID_INPUT", "the researcher's wallet is not connected");
  const dataset = await publishedDataset(provider, input);
  const consumer = await wallet.getAddress();
  const held = await checkOceanOrder({ provider, dataset, consumer, fromBlock: ocean.startBlock });
  if (held.valid) {
    out.say(
      `${consumer.toLowerCase()} already holds a valid order for ${dataset.did} (transaction ${held.order.txHash})`,
    );
    return { dataset, order: held.order, ordered: false, transactions: [] };
  }
  if (dataset.closed !== undefined) throw new RefusedError("OCEAN_ASSET_CLOSED", dataset.closed);
  const config = oceanLibConfig(ocean);
  const datatoken = new Datatoken(wallet, OCEAN_NETWORK, config);
  const transactions: MinedTransaction[] = [];
  const balance = parseEther(await datatoken.balance(dataset.datatoken, consumer));
  if (balance < parseEther("1")) {
    const dispenser = new Dispenser(ocean.Dispenser, wallet, OCEAN_NETWORK, config);
    const status = await dispenser.status(dataset.datatoken);
    if (status?.active !== true) {
      throw new RefusedError(
        "NO_DATATOKEN",
        `${consumer.toLowerCase()} holds no datatoken ${dataset.datatoken} and its dispenser is not active: ask the owner ${dataset.owner} for one`,
      );
    }
    transactions.push(
      await sendAndWait(out, {
        description: `take one datatoken ${dataset.datatoken} from its dispenser`,
        call: "Dispenser.dispense",
        send: () => dispenser.dispense(dataset.datatoken, "1", consumer),
      }),
    );
  }
  transactions.push(
    await sendAndWait(out, {
      description: `order ${dataset.did}'s compute service (pays one datatoken to its publisher)`,
      call: "ERC20Template.startOrder",
      send: () => datatoken.startOrder(dataset.datatoken, consumer, dataset.serviceIndex, NO_PROVIDER_FEE),
    }),
  );
  const now = await checkOceanOrder({ provider, dataset, consumer, fromBlock: ocean.startBlock });
  if (!now.valid) throw new TributaryError("OCEAN_ORDER_UNREADABLE", `the order was sent but ${now.reason}`);
  return { dataset, order: now.order, ordered: true, transactions };
}
