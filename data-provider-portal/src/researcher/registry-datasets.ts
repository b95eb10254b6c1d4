import { connectDatasetRegistry } from "@tributary/contracts/typed";
import type { DatasetId } from "@tributary/protocol";
import type { ContractRunner } from "ethers";
import type { RegistryDataset } from "./job-draft.js";

/** DatasetRegistry stores ε and δ scaled by 1e18 (`PRIVACY_SCALE`). */
const PRIVACY_SCALE = 10n ** 18n;
const unscale = (value: bigint) => Number(value) / Number(PRIVACY_SCALE);

/** Every dataset on DatasetRegistry (ids 1 to `datasetCount()`), read through the wallet's provider. */
export async function listRegistryDatasets(runner: ContractRunner, registry: string): Promise<RegistryDataset[]> {
  const contract = connectDatasetRegistry(registry, runner);
  const count = Number(await contract.datasetCount());
  const ids = Array.from({ length: count }, (_, i) => BigInt(i + 1));
  const rows = await Promise.all(ids.map((id) => contract.getDataset(id)));
  return rows.map((row, i) => ({
    id: String(ids[i]) as DatasetId,
    owner: row.owner.toLowerCase(),
    active: row.active,
    pricePerRound: row.pricePerRound,
    epsilon: unscale(row.epsilon),
    delta: unscale(row.delta),
  }));
}
