// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IGroth16InferenceProofVerifier} from "../interfaces/IGroth16InferenceProofVerifier.sol";
import {IInferenceProofVerifier} from "../interfaces/IInferenceProofVerifier.sol";

/// @title Groth16InferenceProofVerifier
/// @notice One model's inference proofs, checked against the task's request and response hashes, then by the
/// model's snarkjs-generated Groth16 verifier. Register it with `OptimisticVerifier.setProofVerifier`.
contract Groth16InferenceProofVerifier is IGroth16InferenceProofVerifier {
    uint256 private constant VALUES_PER_WORD = 10;
    uint256 private constant PROOF_WORDS = 8;
    bytes4 private constant REQUEST_MAGIC = "TDIQ";
    bytes4 private constant RESPONSE_MAGIC = "TDIR";
    uint256 private constant HEADER_BYTES = 45;

    address private immutable _groth16Verifier;
    bytes32 private immutable _modelHash;
    bytes32 private immutable _quantisedModelHash;
    uint256 private immutable _inputSize;
    uint256 private immutable _outputSize;
    uint256 private immutable _inputWords;
    uint256 private immutable _outputWords;
    /// @dev `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])`, N the public signals of one example.
    bytes4 private immutable _verifyProofSelector;

    /// @param groth16Verifier_ The model's generated Groth16 verifier.
    /// @param modelHash_ The model's hash on ModelRegistry.
    /// @param quantisedModelHash_ SHA-256 of the quantised model's canonical bytes.
    /// @param inputSize_ The values of one example's input.
    /// @param outputSize_ The logits of one example's answer.
    constructor(
        address groth16Verifier_,
        bytes32 modelHash_,
        bytes32 quantisedModelHash_,
        uint256 inputSize_,
        uint256 outputSize_
    ) {
        if (groth16Verifier_ == address(0)) revert Groth16InferenceProofVerifierZeroArgument(0);
        if (modelHash_ == bytes32(0)) revert Groth16InferenceProofVerifierZeroArgument(1);
        if (quantisedModelHash_ == bytes32(0)) revert Groth16InferenceProofVerifierZeroArgument(2);
        if (inputSize_ == 0) revert Groth16InferenceProofVerifierZeroArgument(3);
        if (outputSize_ == 0) revert Groth16InferenceProofVerifierZeroArgument(4);
        _groth16Verifier = groth16Verifier_;
        _modelHash = modelHash_;
        _quantisedModelHash = quantisedModelHash_;
        _inputSize = inputSize_;
        _outputSize = outputSize_;
        _inputWords = (inputSize_ + VALUES_PER_WORD - 1) / VALUES_PER_WORD;
        _outputWords = (outputSize_ + VALUES_PER_WORD - 1) / VALUES_PER_WORD;
        _verifyProofSelector = bytes4(
            keccak256(
                bytes(
                    string.concat(
                        "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                        Strings.toString(_inputWords + _outputWords),
                        "])"
                    )
                )
            )
        );
    }

    /// @inheritdoc IInferenceProofVerifier
    function verifyInference(
        bytes32 modelHash_,
        bytes32 inputHash,
        bytes32 responseHash,
        bytes calldata proof
    ) external view returns (bool) {
        return check(modelHash_, inputHash, responseHash, proof) == Verdict.Valid;
    }

    /// @inheritdoc IGroth16InferenceProofVerifier
    function check(
        bytes32 modelHash_,
        bytes32 inputHash,
        bytes32 responseHash,
        bytes calldata proof
    ) public view returns (Verdict verdict) {
        if (modelHash_ != _modelHash) return Verdict.OtherModel;
        uint256 stride = 32 * (PROOF_WORDS + _outputWords + _inputWords);
        if (proof.length == 0 || proof.length % stride != 0) return Verdict.Malformed;
        uint256 count = proof.length / stride;
        uint256 outputsAt = 32 * PROOF_WORDS;
        uint256 inputsAt = outputsAt + 32 * _outputWords;
        (bytes memory request, bool inputsPacked) = _message(
            REQUEST_MAGIC,
            _quantisedModelHash,
            proof,
            count,
            stride,
            inputsAt,
            _inputSize
        );
        bytes32 requestHash = sha256(request);
        (bytes memory response, bool logitsPacked) = _message(
            RESPONSE_MAGIC,
            requestHash,
            proof,
            count,
            stride,
            outputsAt,
            _outputSize
        );
        if (!inputsPacked || !logitsPacked) return Verdict.Malformed;
        if (requestHash != inputHash) return Verdict.OtherRequest;
        if (sha256(response) != responseHash) return Verdict.OtherResponse;

        for (uint256 e = 0; e < count; ++e) {
            if (!_groth16(proof[e * stride:(e + 1) * stride])) return Verdict.ProofRejected;
        }
        return Verdict.Valid;
    }

    /// @inheritdoc IGroth16InferenceProofVerifier
    function groth16Verifier() external view returns (address) {
        return _groth16Verifier;
    }

    /// @inheritdoc IGroth16InferenceProofVerifier
    function modelHash() external view returns (bytes32) {
        return _modelHash;
    }

    /// @inheritdoc IGroth16InferenceProofVerifier
    function quantisedModelHash() external view returns (bytes32) {
        return _quantisedModelHash;
    }

    /// @inheritdoc IGroth16InferenceProofVerifier
    function inputSize() external view returns (uint256) {
        return _inputSize;
    }

    /// @inheritdoc IGroth16InferenceProofVerifier
    function outputSize() external view returns (uint256) {
        return _outputSize;
    }

    /// @dev One example's proof (its `verifyProof` arguments as ABI-encoded) through the Groth16 verifier; a revert
    /// or an answer that is not one word counts as a refusal.
    function _groth16(bytes calldata example) private view returns (bool) {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory answer) = _groth16Verifier.staticcall(abi.encodePacked(_verifyProofSelector, example));
        return ok && answer.length == 32 && abi.decode(answer, (bool));
    }

    /// @dev deterministic-inference's canonical message `magic | 1 | hash | u32 count | u32 size | i32 values` (little
    /// endian), the values unpacked from each example's words at byte `offset`: v = (word >> 24j & 0xffffff) − 2^23.
    /// `wellPacked` is false when a word has bits above its values.
    function _message(
        bytes4 magic,
        bytes32 hash,
        bytes calldata proof,
        uint256 count,
        uint256 stride,
        uint256 offset,
        uint256 size
    ) private pure returns (bytes memory message, bool wellPacked) {
        uint256 length = HEADER_BYTES + 4 * count * size;
        // 32 spare bytes: each value is written with a 32-byte store.
        message = new bytes(length + 32);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // The four bytes of a 32-bit value, little endian, as a big-endian 32-bit number.
            function le32(v) -> r {
                r := or(or(shl(24, and(v, 0xff)), shl(8, and(v, 0xff00))), or(and(shr(8, v), 0xff00), shr(24, v)))
            }
            mstore(message, length)
            let p := add(message, 32)
            mstore(p, or(magic, shl(216, 1)))
            mstore(add(p, 5), hash)
            mstore(add(p, 37), or(shl(224, le32(count)), shl(192, le32(size))))
            wellPacked := 1
            let dst := add(p, HEADER_BYTES)
            let words := div(add(size, sub(VALUES_PER_WORD, 1)), VALUES_PER_WORD)
            for {
                let e := 0
            } lt(e, count) {
                e := add(e, 1)
            } {
                let from := add(proof.offset, add(mul(e, stride), offset))
                let left := size
                for {
                    let k := 0
                } lt(k, words) {
                    k := add(k, 1)
                } {
                    let word := calldataload(add(from, shl(5, k)))
                    let n := left
                    if gt(n, VALUES_PER_WORD) {
                        n := VALUES_PER_WORD
                    }
                    left := sub(left, n)
                    for {
                        let j := 0
                    } lt(j, n) {
                        j := add(j, 1)
                    } {
                        // v = (24 low bits) − 2^23, as a 32-bit two's complement.
                        mstore(dst, shl(224, le32(and(sub(and(word, 0xffffff), 0x800000), 0xffffffff))))
                        dst := add(dst, 4)
                        word := shr(24, word)
                    }
                    if word {
                        wellPacked := 0
                    }
                }
            }
        }
    }
}
