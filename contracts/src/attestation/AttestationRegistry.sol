// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";

/// @title AttestationRegistry
/// @notice Allowlisted enclave measurements and the signer keys attested under them.
contract AttestationRegistry is IAttestationRegistry, AccessControl {
    /// @inheritdoc IAttestationRegistry
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    mapping(TeeKind kind => mapping(bytes32 measurement => bool)) private _allowed;
    mapping(address signer => Attestation) private _attestations;

    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IAttestationRegistry
    function setMeasurementAllowed(
        TeeKind kind,
        bytes32 measurement,
        bool allowed
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (measurement == bytes32(0)) revert AttestationRegistryInvalidMeasurement();
        _allowed[kind][measurement] = allowed;
        emit MeasurementAllowlistUpdated(kind, measurement, allowed);
    }

    /// @inheritdoc IAttestationRegistry
    function recordAttestation(
        address signer,
        TeeKind kind,
        bytes32 measurement,
        bytes32 attestationHash,
        uint256 expiry
    ) external onlyRole(REGISTRAR_ROLE) {
        if (signer == address(0)) revert AttestationRegistryInvalidSigner();
        if (!_allowed[kind][measurement]) revert AttestationRegistryMeasurementNotAllowed(kind, measurement);
        if (attestationHash == bytes32(0)) revert AttestationRegistryInvalidAttestationHash();
        if (expiry <= block.timestamp || expiry > type(uint40).max) revert AttestationRegistryInvalidExpiry(expiry);
        _attestations[signer] = Attestation({
            kind: kind,
            expiry: uint40(expiry),
            registrar: msg.sender,
            measurement: measurement,
            attestationHash: attestationHash
        });
        emit AttestationRecorded(signer, kind, measurement, attestationHash, expiry, msg.sender);
    }

    /// @inheritdoc IAttestationRegistry
    function revokeAttestation(address signer) external onlyRole(REGISTRAR_ROLE) {
        if (_attestations[signer].expiry == 0) revert AttestationRegistryNoAttestation(signer);
        delete _attestations[signer];
        emit AttestationRevoked(signer, msg.sender);
    }

    /// @inheritdoc IAttestationRegistry
    function isMeasurementAllowed(TeeKind kind, bytes32 measurement) external view returns (bool) {
        return _allowed[kind][measurement];
    }

    /// @inheritdoc IAttestationRegistry
    function isAttested(address signer) external view returns (bool) {
        Attestation storage attestation = _attestations[signer];
        return block.timestamp < attestation.expiry && _allowed[attestation.kind][attestation.measurement];
    }

    /// @inheritdoc IAttestationRegistry
    function getAttestation(address signer) external view returns (Attestation memory) {
        Attestation storage attestation = _attestations[signer];
        if (attestation.expiry == 0) revert AttestationRegistryNoAttestation(signer);
        return attestation;
    }
}
