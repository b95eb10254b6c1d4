// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDatasetRegistry} from "../interfaces/IDatasetRegistry.sol";

/// @title DatasetRegistry
/// @notice Enrolment of datasets by their owners: commitment, metadata, price and privacy budget.
contract DatasetRegistry is IDatasetRegistry {
    /// @inheritdoc IDatasetRegistry
    uint256 public constant PRIVACY_SCALE = 1e18;

    mapping(uint256 datasetId => Dataset) private _datasets;
    uint256 private _datasetCount;

    /// @inheritdoc IDatasetRegistry
    function registerDataset(
        bytes32 commitment,
        string calldata metadataURI,
        uint256 pricePerRound,
        uint128 epsilon,
        uint128 delta
    ) external returns (uint256 datasetId) {
        _checkDescription(commitment, metadataURI, epsilon, delta);
        datasetId = ++_datasetCount;
        _datasets[datasetId] = Dataset({
            owner: msg.sender,
            active: true,
            epsilon: epsilon,
            delta: delta,
            commitment: commitment,
            pricePerRound: pricePerRound,
            metadataURI: metadataURI
        });
        emit DatasetRegistered(datasetId, msg.sender, commitment, metadataURI, pricePerRound, epsilon, delta);
    }

    /// @inheritdoc IDatasetRegistry
    function updateDataset(
        uint256 datasetId,
        bytes32 commitment,
        string calldata metadataURI,
        uint256 pricePerRound,
        uint128 epsilon,
        uint128 delta
    ) external {
        Dataset storage dataset = _ownedActive(datasetId);
        _checkDescription(commitment, metadataURI, epsilon, delta);
        dataset.commitment = commitment;
        dataset.metadataURI = metadataURI;
        dataset.pricePerRound = pricePerRound;
        dataset.epsilon = epsilon;
        dataset.delta = delta;
        emit DatasetUpdated(datasetId, commitment, metadataURI, pricePerRound, epsilon, delta);
    }

    /// @inheritdoc IDatasetRegistry
    function deactivateDataset(uint256 datasetId) external {
        Dataset storage dataset = _ownedActive(datasetId);
        dataset.active = false;
        emit DatasetDeactivated(datasetId);
    }

    /// @inheritdoc IDatasetRegistry
    function transferDataset(uint256 datasetId, address newOwner) external {
        Dataset storage dataset = _owned(datasetId);
        if (newOwner == address(0) || newOwner == msg.sender) revert DatasetRegistryInvalidNewOwner(newOwner);
        dataset.owner = newOwner;
        emit DatasetTransferred(datasetId, msg.sender, newOwner);
    }

    /// @inheritdoc IDatasetRegistry
    function getDataset(uint256 datasetId) external view returns (Dataset memory) {
        return _existing(datasetId);
    }

    /// @inheritdoc IDatasetRegistry
    function isActive(uint256 datasetId) external view returns (bool) {
        return _datasets[datasetId].active;
    }

    /// @inheritdoc IDatasetRegistry
    function datasetCount() external view returns (uint256) {
        return _datasetCount;
    }

    function _existing(uint256 datasetId) private view returns (Dataset storage dataset) {
        dataset = _datasets[datasetId];
        if (dataset.owner == address(0)) revert DatasetRegistryUnknownDataset(datasetId);
    }

    function _owned(uint256 datasetId) private view returns (Dataset storage dataset) {
        dataset = _existing(datasetId);
        if (dataset.owner != msg.sender) revert DatasetRegistryNotOwner(datasetId, msg.sender);
    }

    function _ownedActive(uint256 datasetId) private view returns (Dataset storage dataset) {
        dataset = _owned(datasetId);
        if (!dataset.active) revert DatasetRegistryInactive(datasetId);
    }

    function _checkDescription(
        bytes32 commitment,
        string calldata metadataURI,
        uint256 epsilon,
        uint256 delta
    ) private pure {
        if (commitment == bytes32(0)) revert DatasetRegistryInvalidCommitment();
        if (bytes(metadataURI).length == 0) revert DatasetRegistryEmptyMetadataURI();
        if (epsilon == 0 || delta >= PRIVACY_SCALE) revert DatasetRegistryInvalidPrivacyBudget(epsilon, delta);
    }
}
