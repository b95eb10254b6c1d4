export { RecoveryPool } from "./recovery-pool.js";
export { type Secp256k1, secp256k1, secp256k1Wasm } from "./secp256k1.js";
export {
  addressOf,
  addressWord,
  bytes32Word,
  bytesToHex,
  recoverAddress,
  recoverKey,
  StaticTypedData,
  signDigest,
  uintWord,
} from "./static-typed-data.js";
