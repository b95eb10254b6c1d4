// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IInferenceProofVerifier} from "./IInferenceProofVerifier.sol";

/// @title IGroth16InferenceProofVerifier
/// @notice The `IInferenceProofVerifier` of one model whose fixed-point inference is proved by a Groth16 circuit (circom
/// 2, snarkjs): it binds a proof to the model, the task's request and the claimed response, then checks it with the
/// model's generated Groth16 verifier.
/// @dev The circuit is generated from the model's quantised weights (deterministic-inference's canonical `TDIM` bytes,
/// whose SHA-256 is `quantisedModelHash`), weights as constants, so its verifying key exists for this model only. Its
/// public signals are one example's quantised inputs and integer logits, each value v as v + 2^23 in 24 bits, ten to a
/// field element (the first in the lowest bits): the packed logits first, then the packed inputs. From them this
/// contract rebuilds deterministic-inference's canonical request `"TDIQ" | 1 | quantisedModelHash | count | inputSize
/// | inputs` and response `"TDIR" | 1 | requestHash | count | outputSize | logits` (little-endian u32 and i32) and
/// compares their SHA-256 with the task's `inputHash` and the claimed `responseHash`. So a valid proof accepted here
/// says: this model's circuit maps exactly the inputs the task committed to onto exactly the logits the response
/// hash names. A proof for another model fails the pairing check (another verifying key); a proof under altered public
/// signals fails the hashes or the pairing check.
///
/// `proof` is, for each of the request's examples in order, the arguments of the Groth16 verifier's `verifyProof` as
/// ABI-encoded: `a` (2 words), `b` (4 words), `c` (2 words), then the public signals (`outputWords` packed logits,
/// `inputWords` packed inputs).
interface IGroth16InferenceProofVerifier is IInferenceProofVerifier {
    /// @notice What `check` found, in the order it checks.
    enum Verdict {
        Valid,
        OtherModel,
        Malformed,
        OtherRequest,
        OtherResponse,
        ProofRejected
    }

    /// @notice A constructor argument is zero.
    /// @param argument The argument's position (0: the Groth16 verifier, 1: modelHash, 2: quantisedModelHash,
    /// 3: inputSize, 4: outputSize).
    error Groth16InferenceProofVerifierZeroArgument(uint256 argument);

    /// @notice Checks a proof and says why it is refused: `modelHash` is not this model's (`OtherModel`); `proof` is
    /// not whole examples of 8 + outputWords + inputWords words, or a packed word has bits beyond its values
    /// (`Malformed`); the rebuilt request's SHA-256 is not `inputHash` (`OtherRequest`); the rebuilt response's is not
    /// `responseHash` (`OtherResponse`); the Groth16 verifier refuses an example's proof (`ProofRejected`).
    /// @param modelHash The model's hash on ModelRegistry (SHA-256 of its float weights).
    /// @param inputHash The task's input hash: deterministic-inference's `requestHash`.
    /// @param responseHash The claimed response: deterministic-inference's `responseHash`.
    /// @param proof The proofs and public signals, one example after another.
    /// @return verdict `Valid` when the proof shows this model answers the request with this response.
    function check(
        bytes32 modelHash,
        bytes32 inputHash,
        bytes32 responseHash,
        bytes calldata proof
    ) external view returns (Verdict verdict);

    /// @notice The model's generated Groth16 verifier (snarkjs `exportSolidityVerifier` of its proving key).
    /// @return The verifier's address.
    function groth16Verifier() external view returns (address);

    /// @notice The model's hash on ModelRegistry (SHA-256 of its flat float32 weights).
    /// @return The hash.
    function modelHash() external view returns (bytes32);

    /// @notice SHA-256 of the quantised model's canonical bytes, which every request names.
    /// @return The hash.
    function quantisedModelHash() external view returns (bytes32);

    /// @notice The values of one example's input.
    /// @return The size.
    function inputSize() external view returns (uint256);

    /// @notice The logits of one example's answer.
    /// @return The size.
    function outputSize() external view returns (uint256);
}
