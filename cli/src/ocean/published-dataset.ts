import { findOceanDataset, type OceanAddresses, type OceanDataset } from "@tributary/contracts/ocean";
import type { Provider } from "ethers";
import { RefusedError } from "../chain/run-command.js";

/** The dataset's Ocean publication; refused when there is none or it cannot be read. */
export async function publishedDataset(
  provider: Provider,
  input: { readonly ocean: OceanAddresses; readonly datasetRegistry: string; readonly datasetId: string },
): Promise<OceanDataset> {
  const found = await findOceanDataset({
    provider,
    ocean: input.ocean,
    datasetRegistry: input.datasetRegistry,
    datasetId: input.datasetId,
  });
  if (found.kind === "none") {
    throw new RefusedError("NOT_ON_OCEAN", `dataset ${input.datasetId} is not published on Ocean by its owner`);
  }
  if (found.kind === "invalid") {
    throw new RefusedError(
      "OCEAN_PUBLICATION_INVALID",
      `dataset ${input.datasetId}'s Ocean publication: ${found.reason}`,
    );
  }
  return found.dataset;
}
