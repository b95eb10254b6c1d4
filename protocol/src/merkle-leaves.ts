import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Bytes32 } from "./ids.js";
import { type StaticAbiType, standardTree } from "./standard-merkle-tree.js";

/**
 * Merkle leaves anchored on chain. Both trees use OpenZeppelin's standard encoding, which `MerkleProof` in
 * Solidity verifies: `leaf = keccak256(bytes.concat(keccak256(abi.encode(...fields))))`, sorted-pair hashing. They
 * are built by `standardTree` (the same trees as `@openzeppelin/merkle-tree`, which the tests compare against and
 * which still checks single leaves and proofs here).
 */

/** Fixed-point scale of contribution scores: a score of 1 is `SCORE_SCALE`. */
export const SCORE_SCALE = 10n ** 18n;

/** ABI types of a round leaf `(trainer, updateHash, numExamples, score)`. */
export const ROUND_LEAF_TYPES = ["address", "bytes32", "uint256", "uint256"] as const;

/** ABI types of a payout leaf `(trainer, amount)`. */
export const PAYOUT_LEAF_TYPES = ["address", "uint256"] as const;

export interface RoundLeaf {
  readonly trainer: Address;
  /** SHA-256 of the update bytes. */
  readonly updateHash: Bytes32;
  readonly numExamples: bigint;
  /** Contribution score scaled by `SCORE_SCALE`. */
  readonly score: bigint;
}

export interface PayoutLeaf {
  readonly trainer: Address;
  /** Amount in the job's payment token's smallest unit. */
  readonly amount: bigint;
}

export interface LeafTree<L> {
  readonly root: Bytes32;
  /** Proof for the leaf at `index` of the input order. */
  proof(index: number): Bytes32[];
  readonly leaves: readonly L[];
}

function roundValues(leaf: RoundLeaf): [string, string, bigint, bigint] {
  return [leaf.trainer, leaf.updateHash, leaf.numExamples, leaf.score];
}

function payoutValues(leaf: PayoutLeaf): [string, bigint] {
  return [leaf.trainer, leaf.amount];
}

function buildTree<L, V extends unknown[]>(
  leaves: readonly L[],
  types: readonly StaticAbiType[],
  values: (leaf: L) => V,
): LeafTree<L> {
  const tree = standardTree(types, leaves.map(values));
  return { root: tree.root as Bytes32, proof: (index: number) => tree.proof(index) as Bytes32[], leaves };
}

/** The round tree whose root `TrainingJobs.anchorRound` records. */
export function buildRoundTree(leaves: readonly RoundLeaf[]): LeafTree<RoundLeaf> {
  return buildTree(leaves, ROUND_LEAF_TYPES, roundValues);
}

/** The payout tree whose root `TrainingJobs.finalizeJob` records and against which contributors claim. */
export function buildPayoutTree(leaves: readonly PayoutLeaf[]): LeafTree<PayoutLeaf> {
  return buildTree(leaves, PAYOUT_LEAF_TYPES, payoutValues);
}

/** Leaf hash of a round leaf, as the contract computes it. */
export function roundLeafHash(leaf: RoundLeaf): Bytes32 {
  return StandardMerkleTree.of([roundValues(leaf)], [...ROUND_LEAF_TYPES]).leafHash(roundValues(leaf)) as Bytes32;
}

/** Leaf hash of a payout leaf, as the contract computes it. */
export function payoutLeafHash(leaf: PayoutLeaf): Bytes32 {
  return StandardMerkleTree.of([payoutValues(leaf)], [...PAYOUT_LEAF_TYPES]).leafHash(payoutValues(leaf)) as Bytes32;
}

/** Checks a proof for a round leaf against a root, independently of any tree object. */
export function verifyRoundProof(root: Bytes32, leaf: RoundLeaf, proof: readonly Bytes32[]): boolean {
  return StandardMerkleTree.verify(root, [...ROUND_LEAF_TYPES], roundValues(leaf), [...proof]);
}

/** Checks a proof for a payout leaf against a root. */
export function verifyPayoutProof(root: Bytes32, leaf: PayoutLeaf, proof: readonly Bytes32[]): boolean {
  return StandardMerkleTree.verify(root, [...PAYOUT_LEAF_TYPES], payoutValues(leaf), [...proof]);
}
