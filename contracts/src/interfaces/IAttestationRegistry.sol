// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IAttestationRegistry
/// @notice Which enclave signing keys are currently attested. Governance keeps an allowlist of enclave measurements
/// per TEE kind; an authorised registrar (the coordinator's attestation service) verifies a TEE attestation off chain
/// against the vendor's root of trust (a P-384 check would cost millions of gas on chain) and records the attested
/// signer key with its measurement, the attestation document's hash and an expiry.
/// @dev A key counts as attested while its record has not expired and its measurement is still allowlisted: removing
/// a measurement from the allowlist revokes every key recorded under it at once. Measurements longer than 32 bytes
/// (Nitro PCRs, TDX MRTD are 48 bytes) are recorded as their SHA-256.
interface IAttestationRegistry {
    /// @notice The kind of TEE and which measurement identifies the enclave.
    enum TeeKind {
        AwsNitro,
        SgxMrEnclave,
        SgxMrSigner,
        IntelTdx
    }

    /// @notice An attested signer key.
    /// @param kind The TEE kind.
    /// @param expiry When the attestation stops counting (unix seconds).
    /// @param registrar The registrar that recorded it.
    /// @param measurement The enclave measurement (PCR digest, MRENCLAVE, MRSIGNER or MRTD digest).
    /// @param attestationHash The hash of the attestation document verified off chain.
    struct Attestation {
        TeeKind kind;
        uint40 expiry;
        address registrar;
        bytes32 measurement;
        bytes32 attestationHash;
    }

    /// @notice The measurement is zero.
    error AttestationRegistryInvalidMeasurement();

    /// @notice The measurement is not on the allowlist for that TEE kind.
    /// @param kind The TEE kind.
    /// @param measurement The measurement.
    error AttestationRegistryMeasurementNotAllowed(TeeKind kind, bytes32 measurement);

    /// @notice The signer is the zero address.
    error AttestationRegistryInvalidSigner();

    /// @notice The attestation hash is zero.
    error AttestationRegistryInvalidAttestationHash();

    /// @notice The expiry is not in the future or does not fit in 40 bits.
    /// @param expiry The rejected expiry.
    error AttestationRegistryInvalidExpiry(uint256 expiry);

    /// @notice The signer has no attestation record.
    /// @param signer The signer.
    error AttestationRegistryNoAttestation(address signer);

    /// @notice Governance added or removed a measurement.
    /// @param kind The TEE kind.
    /// @param measurement The measurement.
    /// @param allowed Whether it is allowlisted now.
    event MeasurementAllowlistUpdated(TeeKind indexed kind, bytes32 indexed measurement, bool allowed);

    /// @notice A registrar recorded an attested signer key.
    /// @param signer The enclave's signing key.
    /// @param kind The TEE kind.
    /// @param measurement The enclave measurement.
    /// @param attestationHash The attestation document's hash.
    /// @param expiry When it stops counting.
    /// @param registrar The registrar.
    event AttestationRecorded(
        address indexed signer,
        TeeKind kind,
        bytes32 indexed measurement,
        bytes32 attestationHash,
        uint256 expiry,
        address indexed registrar
    );

    /// @notice A registrar revoked a signer key's attestation.
    /// @param signer The signer.
    /// @param registrar The registrar.
    event AttestationRevoked(address indexed signer, address indexed registrar);

    /// @notice Adds or removes a measurement from the allowlist. Governance only.
    /// @param kind The TEE kind.
    /// @param measurement The measurement; non-zero.
    /// @param allowed Whether it should be allowlisted.
    function setMeasurementAllowed(TeeKind kind, bytes32 measurement, bool allowed) external;

    /// @notice Records (or replaces) a signer key's attestation after off-chain verification. Only `REGISTRAR_ROLE`.
    /// @param signer The enclave's signing key; non-zero.
    /// @param kind The TEE kind.
    /// @param measurement The enclave measurement; allowlisted for `kind`.
    /// @param attestationHash The attestation document's hash; non-zero.
    /// @param expiry When it stops counting (unix seconds, in the future).
    function recordAttestation(
        address signer,
        TeeKind kind,
        bytes32 measurement,
        bytes32 attestationHash,
        uint256 expiry
    ) external;

    /// @notice Deletes a signer key's attestation. Only `REGISTRAR_ROLE`.
    /// @param signer The signer.
    function revokeAttestation(address signer) external;

    /// @notice Whether a measurement is allowlisted.
    /// @param kind The TEE kind.
    /// @param measurement The measurement.
    /// @return True when allowlisted.
    function isMeasurementAllowed(TeeKind kind, bytes32 measurement) external view returns (bool);

    /// @notice Whether a signer key is attested now: recorded, not expired, and its measurement still allowlisted.
    /// @param signer The signer.
    /// @return True when attested.
    function isAttested(address signer) external view returns (bool);

    /// @notice Reads a signer key's attestation record, whether or not it still counts.
    /// @param signer The signer; reverts when it has no record.
    /// @return The record.
    function getAttestation(address signer) external view returns (Attestation memory);

    /// @notice The role allowed to record and revoke attestations.
    /// @return The role identifier, `keccak256("REGISTRAR_ROLE")`.
    function REGISTRAR_ROLE() external view returns (bytes32);
}
