// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IInferenceProofVerifier} from "../interfaces/IInferenceProofVerifier.sol";

/// @title MockProofVerifier
/// @notice Test-only stand-in for a ZK verifier: a "proof" is valid when it equals
/// `abi.encode(keccak256(abi.encode(modelHash, inputHash, responseHash)))`, so only whoever knows the true response
/// can produce one.
contract MockProofVerifier is IInferenceProofVerifier {
    /// @inheritdoc IInferenceProofVerifier
    function verifyInference(
        bytes32 modelHash,
        bytes32 inputHash,
        bytes32 responseHash,
        bytes calldata proof
    ) external pure returns (bool) {
        return keccak256(proof) == keccak256(abi.encode(keccak256(abi.encode(modelHash, inputHash, responseHash))));
    }
}
