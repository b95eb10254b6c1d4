import { LocalChain } from "@tributary/contracts/local-chain";
import { connectDatasetRegistry, type DatasetRegistry } from "@tributary/contracts/typed";
import type { Address, Bytes32 } from "@tributary/protocol";
import { type JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Output } from "../chain/output.js";
import { sendAndWait } from "../chain/transactions.js";
import {
  enrolledDatasetId,
  InvalidNewOwnerError,
  NothingToUpdateError,
  type PlannedCall,
  planDeactivate,
  planEnrol,
  planTransfer,
  planUpdate,
} from "./dataset-changes.js";
import {
  DatasetInactiveError,
  DatasetUnknownError,
  datasetsEverOwned,
  datasetsOwnedBy,
  listDatasets,
  NotDatasetOwnerError,
  readDataset,
} from "./dataset-records.js";

let chain: LocalChain;
let provider: JsonRpcProvider;
let owner: Wallet;
let stranger: Wallet;
let asOwner: DatasetRegistry;
let asStranger: DatasetRegistry;

const COMMITMENT = `0x${"ab".repeat(32)}` as Bytes32;
const E18 = 10n ** 18n;

beforeAll(async () => {
  chain = await LocalChain.start();
  provider = chain.provider();
  owner = (await chain.fundedWallet()).connect(provider);
  stranger = (await chain.fundedWallet()).connect(provider);
  const address = chain.system.deployment.contracts.DatasetRegistry;
  asOwner = connectDatasetRegistry(address, owner);
  asStranger = connectDatasetRegistry(address, stranger);
});

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

const me = () => owner.address.toLowerCase() as Address;

async function mined(plan: PlannedCall) {
  const receipt = await (await plan.send()).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

async function enrol(): Promise<string> {
  const terms = { metadataURI: "ipfs://manifest", pricePerRound: 5n * E18, epsilon: 3, delta: 1e-5 };
  return enrolledDatasetId(asOwner, await mined(planEnrol(asOwner, COMMITMENT, terms)));
}

describe("DatasetRegistry cores", () => {
  it("enrols with ε and δ as 1e18 fixed point and reads the dataset back", async () => {
    const id = await enrol();
    expect(BigInt(id)).toBe(await asOwner.datasetCount());
    const dataset = await readDataset(asStranger, id);
    expect(dataset).toEqual({
      id,
      owner: me(),
      active: true,
      commitment: COMMITMENT,
      metadataURI: "ipfs://manifest",
      pricePerRound: 5n * E18,
      epsilon: 3,
      delta: 1e-5,
      // ε = 3 is 3e18 and δ = 1e-5 is 1e13 (IDatasetRegistry's PRIVACY_SCALE).
      epsilonFixed: 3n * E18,
      deltaFixed: 10n ** 13n,
    });
  });

  it("updates only what is given, and refuses an update that changes nothing", async () => {
    const id = await enrol();
    const plan = await planUpdate(asOwner, me(), id, { pricePerRound: 7n * E18, epsilon: 2.5 });
    expect(plan.before.pricePerRound).toBe(5n * E18);
    await mined(plan);
    expect(await readDataset(asOwner, id)).toMatchObject({
      commitment: COMMITMENT,
      metadataURI: "ipfs://manifest",
      pricePerRound: 7n * E18,
      epsilonFixed: 25n * 10n ** 17n,
      deltaFixed: 10n ** 13n,
    });
    await expect(planUpdate(asOwner, me(), id, { pricePerRound: 7n * E18 })).rejects.toThrow(NothingToUpdateError);
  });

  it("refuses before sending: unknown id, not the owner, deactivated, transfer to self or zero", async () => {
    const id = await enrol();
    await expect(planUpdate(asOwner, me(), "999999", { epsilon: 1 })).rejects.toThrow(DatasetUnknownError);
    await expect(planDeactivate(asOwner, me(), "999999")).rejects.toThrow(/knows no dataset 999999/);
    const strangerAddress = stranger.address.toLowerCase() as Address;
    await expect(planUpdate(asStranger, strangerAddress, id, { epsilon: 1 })).rejects.toThrow(NotDatasetOwnerError);
    await expect(planDeactivate(asStranger, strangerAddress, id)).rejects.toThrow(
      `dataset ${id} is owned by ${me()}, not by this key's ${strangerAddress}`,
    );
    await expect(planTransfer(asOwner, me(), id, me())).rejects.toThrow(InvalidNewOwnerError);
    await expect(planTransfer(asOwner, me(), id, `0x${"00".repeat(20)}` as Address)).rejects.toThrow(
      InvalidNewOwnerError,
    );
    await mined(await planDeactivate(asOwner, me(), id));
    expect((await readDataset(asOwner, id)).active).toBe(false);
    await expect(planUpdate(asOwner, me(), id, { epsilon: 1 })).rejects.toThrow(DatasetInactiveError);
    await expect(planDeactivate(asOwner, me(), id)).rejects.toThrow(DatasetInactiveError);
  });

  it("a planned change the chain overtook is refused with the contract's decoded custom error, unsent", async () => {
    const id = await enrol();
    const update = await planUpdate(asOwner, me(), id, { epsilon: 1 });
    const transfer = await planTransfer(asOwner, me(), id, stranger.address.toLowerCase() as Address);
    await mined(await planDeactivate(asOwner, me(), id));
    const out = new Output(true, () => {}, false);
    const nonce = await provider.getTransactionCount(owner.address);
    await expect(sendAndWait(out, update)).rejects.toThrow(
      `DatasetRegistry.updateDataset would revert with DatasetRegistryInactive(datasetId=${id}); nothing was sent`,
    );
    // Planned twice and sent twice: the second finds the dataset someone else's.
    await mined(transfer);
    await expect(sendAndWait(out, transfer)).rejects.toThrow(
      `DatasetRegistry.transferDataset would revert with DatasetRegistryNotOwner(datasetId=${id}, caller=${owner.address})`,
    );
    expect(await provider.getTransactionCount(owner.address)).toBe(nonce + 1);
  });

  it("transfers (a deactivated dataset too) and lists by owner, counting datasets given away as once owned", async () => {
    const id = await enrol();
    const gone = await enrol();
    await mined(await planDeactivate(asOwner, me(), gone));
    const to = Wallet.createRandom().address.toLowerCase() as Address;
    await mined(await planTransfer(asOwner, me(), gone, to));
    expect((await readDataset(asOwner, gone)).owner).toBe(to);
    const start = chain.system.deployment.startBlock;
    expect(await datasetsEverOwned(asOwner, to, start)).toEqual([gone]);
    expect(await datasetsEverOwned(asOwner, owner.address, start)).toContain(gone);
    const mine = (await datasetsOwnedBy(asOwner, owner.address, start)).map((dataset) => dataset.id);
    expect(mine).toContain(id);
    expect(mine).not.toContain(gone);
    expect(mine).toEqual([...mine].sort((a, b) => Number(b) - Number(a)));
    const newest = await listDatasets(asOwner, 2);
    expect(newest.map((dataset) => dataset.id)).toEqual([gone, id]);
  });
});
