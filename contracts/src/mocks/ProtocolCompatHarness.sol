// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title ProtocolCompatHarness
/// @notice Test-only: the on-chain side of the encodings `@tributary/protocol` defines (the EIP-712
/// `ModelUpdate` struct and the round/payout Merkle leaves), so tests can check both sides agree.
contract ProtocolCompatHarness is EIP712 {
    /// @notice A model update as the trainer signs it.
    struct ModelUpdate {
        uint256 jobId;
        uint32 round;
        address trainer;
        uint256 datasetId;
        uint64 numExamples;
        bytes32 updateHash;
        bytes32 metricsHash;
        uint256 epsilonSpent;
        uint256 delta;
        bytes32 nonce;
    }

    bytes32 private constant MODEL_UPDATE_TYPEHASH = keccak256(
        "ModelUpdate(uint256 jobId,uint32 round,address trainer,uint256 datasetId,uint64 numExamples,"
        "bytes32 updateHash,bytes32 metricsHash,uint256 epsilonSpent,uint256 delta,bytes32 nonce)"
    );

    constructor() EIP712("Tributary", "1") {}

    /// @notice The EIP-712 digest of `update` in this contract's domain.
    function modelUpdateDigest(ModelUpdate calldata update) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        MODEL_UPDATE_TYPEHASH,
                        update.jobId,
                        update.round,
                        update.trainer,
                        update.datasetId,
                        update.numExamples,
                        update.updateHash,
                        update.metricsHash,
                        update.epsilonSpent,
                        update.delta,
                        update.nonce
                    )
                )
            );
    }

    /// @notice The address that signed `update`.
    function recoverModelUpdateSigner(
        ModelUpdate calldata update,
        bytes calldata signature
    ) external view returns (address) {
        return ECDSA.recover(modelUpdateDigest(update), signature);
    }

    /// @notice Whether `proof` shows the round leaf is in the tree with `root`.
    function verifyRoundLeaf(
        bytes32 root,
        address trainer,
        bytes32 updateHash,
        uint256 numExamples,
        uint256 score,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(trainer, updateHash, numExamples, score))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice Whether `proof` shows the payout leaf is in the tree with `root`.
    function verifyPayoutLeaf(
        bytes32 root,
        address trainer,
        uint256 amount,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(trainer, amount))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
