// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IDatasetRegistry
/// @notice Data owners enrol their datasets here. The data never leaves its owner: the registry records a
/// commitment to the dataset's manifest (schema, record count, per-shard SHA-256), where its metadata lives, the
/// price per training round and the owner's differential-privacy budget.
/// @dev Dataset ids are sequential, starting at 1. Privacy budgets are fixed-point numbers scaled by
/// `PRIVACY_SCALE` (1e18): ε = 3 is `3e18`, δ = 1e-5 is `1e13`.
interface IDatasetRegistry {
    /// @notice A dataset as stored.
    /// @param owner The data owner, who alone may update, deactivate or transfer it.
    /// @param active False once the owner deactivated it; inactive datasets cannot join new jobs.
    /// @param epsilon The owner's privacy budget ε, scaled by 1e18.
    /// @param delta The owner's privacy budget δ, scaled by 1e18.
    /// @param commitment The hash of the dataset's manifest.
    /// @param pricePerRound The price the owner asks per training round, in the job's payment token's units.
    /// @param metadataURI Where the metadata lives (an IPFS CID).
    struct Dataset {
        address owner;
        bool active;
        uint128 epsilon;
        uint128 delta;
        bytes32 commitment;
        uint256 pricePerRound;
        string metadataURI;
    }

    /// @notice No dataset has this id.
    /// @param datasetId The unknown id.
    error DatasetRegistryUnknownDataset(uint256 datasetId);

    /// @notice The caller does not own the dataset.
    /// @param datasetId The dataset.
    /// @param caller The caller.
    error DatasetRegistryNotOwner(uint256 datasetId, address caller);

    /// @notice The dataset has been deactivated.
    /// @param datasetId The dataset.
    error DatasetRegistryInactive(uint256 datasetId);

    /// @notice The manifest commitment is zero.
    error DatasetRegistryInvalidCommitment();

    /// @notice The metadata URI is empty.
    error DatasetRegistryEmptyMetadataURI();

    /// @notice The privacy budget is invalid: ε must be positive and δ below 1.
    /// @param epsilon The rejected ε (scaled by 1e18).
    /// @param delta The rejected δ (scaled by 1e18).
    error DatasetRegistryInvalidPrivacyBudget(uint256 epsilon, uint256 delta);

    /// @notice A transfer named the zero address or the current owner as the new owner.
    /// @param newOwner The rejected owner.
    error DatasetRegistryInvalidNewOwner(address newOwner);

    /// @notice A dataset was enrolled.
    /// @param datasetId The new id.
    /// @param owner The data owner.
    /// @param commitment The manifest's hash.
    /// @param metadataURI Where the metadata lives.
    /// @param pricePerRound The price per round.
    /// @param epsilon The privacy budget ε (scaled by 1e18).
    /// @param delta The privacy budget δ (scaled by 1e18).
    event DatasetRegistered(
        uint256 indexed datasetId,
        address indexed owner,
        bytes32 commitment,
        string metadataURI,
        uint256 pricePerRound,
        uint256 epsilon,
        uint256 delta
    );

    /// @notice A dataset's description changed; every field carries its new value.
    /// @param datasetId The dataset.
    /// @param commitment The manifest's hash.
    /// @param metadataURI Where the metadata lives.
    /// @param pricePerRound The price per round.
    /// @param epsilon The privacy budget ε (scaled by 1e18).
    /// @param delta The privacy budget δ (scaled by 1e18).
    event DatasetUpdated(
        uint256 indexed datasetId,
        bytes32 commitment,
        string metadataURI,
        uint256 pricePerRound,
        uint256 epsilon,
        uint256 delta
    );

    /// @notice A dataset was deactivated for good.
    /// @param datasetId The dataset.
    event DatasetDeactivated(uint256 indexed datasetId);

    /// @notice A dataset changed owner.
    /// @param datasetId The dataset.
    /// @param previousOwner The owner before.
    /// @param newOwner The owner after.
    event DatasetTransferred(uint256 indexed datasetId, address indexed previousOwner, address indexed newOwner);

    /// @notice Enrols a dataset owned by the caller.
    /// @param commitment The hash of the dataset's manifest; non-zero.
    /// @param metadataURI Where the metadata lives (an IPFS CID); non-empty.
    /// @param pricePerRound The price per training round.
    /// @param epsilon The privacy budget ε scaled by 1e18; positive.
    /// @param delta The privacy budget δ scaled by 1e18; below 1e18.
    /// @return datasetId The new dataset's id.
    function registerDataset(
        bytes32 commitment,
        string calldata metadataURI,
        uint256 pricePerRound,
        uint128 epsilon,
        uint128 delta
    ) external returns (uint256 datasetId);

    /// @notice Replaces an active dataset's description. Owner only.
    /// @param datasetId The dataset.
    /// @param commitment The new manifest hash; non-zero.
    /// @param metadataURI The new metadata URI; non-empty.
    /// @param pricePerRound The new price per round.
    /// @param epsilon The new ε scaled by 1e18; positive.
    /// @param delta The new δ scaled by 1e18; below 1e18.
    function updateDataset(
        uint256 datasetId,
        bytes32 commitment,
        string calldata metadataURI,
        uint256 pricePerRound,
        uint128 epsilon,
        uint128 delta
    ) external;

    /// @notice Deactivates a dataset for good: it can no longer join new jobs. Owner only.
    /// @param datasetId The dataset.
    function deactivateDataset(uint256 datasetId) external;

    /// @notice Transfers a dataset to a new owner. Owner only.
    /// @param datasetId The dataset.
    /// @param newOwner The new owner; neither zero nor the current owner.
    function transferDataset(uint256 datasetId, address newOwner) external;

    /// @notice Reads a dataset.
    /// @param datasetId The dataset; reverts when unknown.
    /// @return The dataset as stored.
    function getDataset(uint256 datasetId) external view returns (Dataset memory);

    /// @notice Whether a dataset exists and is active.
    /// @param datasetId The dataset.
    /// @return True when it can join a new job.
    function isActive(uint256 datasetId) external view returns (bool);

    /// @notice The number of datasets ever enrolled (also the highest id).
    /// @return The count.
    function datasetCount() external view returns (uint256);

    /// @notice The fixed-point scale of privacy budgets.
    /// @return 1e18.
    function PRIVACY_SCALE() external view returns (uint256);
}
