export { type ErrorDetails, TributaryError, type TributaryErrorOptions } from "./errors.js";
export {
  type Address,
  AddressSchema,
  type Bytes32,
  Bytes32Schema,
  type Cid,
  CidSchema,
  type DatasetId,
  DatasetIdSchema,
  type JobId,
  JobIdSchema,
} from "./ids.js";
export {
  buildPayoutTree,
  buildRoundTree,
  type LeafTree,
  PAYOUT_LEAF_TYPES,
  type PayoutLeaf,
  payoutLeafHash,
  ROUND_LEAF_TYPES,
  type RoundLeaf,
  roundLeafHash,
  SCORE_SCALE,
  verifyPayoutProof,
  verifyRoundProof,
} from "./merkle-leaves.js";
export {
  layoutLength,
  layoutOffsets,
  type ModelLayout,
  ModelLayoutSchema,
  type TensorSpec,
  TensorSpecSchema,
  tensorSize,
} from "./model-layout.js";
