// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IInferenceProofVerifier
/// @notice A zero-knowledge verifier for one small model: it checks a proof that running the model with weights
/// `modelHash` on the input `inputHash` yields `responseHash`. Governance registers one per model on the
/// `OptimisticVerifier`; an adapter wraps a generated Groth16/PLONK verifier behind this interface.
interface IInferenceProofVerifier {
    /// @notice Checks an inference proof.
    /// @param modelHash The hash of the model's weights.
    /// @param inputHash The hash of the request's input.
    /// @param responseHash The hash of the response the proof claims.
    /// @param proof The proof, in the verifier's own encoding.
    /// @return True when the proof is valid for these public inputs.
    function verifyInference(
        bytes32 modelHash,
        bytes32 inputHash,
        bytes32 responseHash,
        bytes calldata proof
    ) external view returns (bool);
}
