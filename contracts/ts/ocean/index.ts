export { type OceanAddresses, OceanAddressesSchema } from "./ocean-addresses.js";
export { type OceanArtifact, type OceanContractName, oceanArtifact } from "./ocean-artifacts.js";
export { computeService, type OceanAsset, oceanDid, readOceanAsset } from "./ocean-asset.js";
export {
  findOceanDataset,
  type OceanDataset,
  type OceanDatasetLookup,
  type OceanDatasetQuery,
  oceanDatasetKey,
} from "./ocean-dataset.js";
export { deployOcean } from "./ocean-deployment.js";
export { checkOceanOrder, type OceanOrder, type OceanOrderCheck } from "./ocean-order.js";
