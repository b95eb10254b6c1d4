// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IDatasetRegistry} from "../interfaces/IDatasetRegistry.sol";
import {ITrainingJobs} from "../interfaces/ITrainingJobs.sol";
import {ITreasury} from "../interfaces/ITreasury.sol";

/// @title TrainingJobs
/// @notice Escrow, round anchors, payout roots, claims and refunds of federated training jobs.
contract TrainingJobs is ITrainingJobs, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc ITrainingJobs
    uint256 public constant MAX_FEE_BPS = 1_000;

    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_PERIOD = 1 days;
    uint256 private constant MAX_PERIOD = 365 days;

    IDatasetRegistry private immutable _datasets;
    ITreasury private immutable _treasury;

    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint256 jobId => uint256[]) private _jobDatasets;
    mapping(uint256 jobId => mapping(uint256 round => RoundAnchor)) private _rounds;
    mapping(uint256 jobId => mapping(address trainer => bool)) private _claimed;
    uint256 private _jobCount;
    Parameters private _parameters;

    /// @param datasetRegistry_ The dataset registry jobs train on.
    /// @param treasury_ The treasury receiving protocol fees.
    /// @param parameters_ The initial governance parameters.
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(address datasetRegistry_, address treasury_, Parameters memory parameters_, address admin) {
        _datasets = IDatasetRegistry(datasetRegistry_);
        _treasury = ITreasury(treasury_);
        _setParameters(parameters_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ITrainingJobs
    function createJob(JobParams calldata params) external nonReentrant returns (uint256 jobId) {
        if (params.rounds == 0) revert TrainingJobsInvalidRounds();
        if (params.datasetIds.length == 0) revert TrainingJobsNoDatasets();
        if (params.reward == 0 || params.reward > type(uint128).max) revert TrainingJobsInvalidReward(params.reward);
        if (params.coordinator == address(0)) revert TrainingJobsInvalidCoordinator();
        if (params.paymentToken == address(0)) revert TrainingJobsInvalidPaymentToken();
        for (uint256 i = 0; i < params.datasetIds.length; ++i) {
            if (!_datasets.isActive(params.datasetIds[i])) revert TrainingJobsInactiveDataset(params.datasetIds[i]);
        }

        jobId = ++_jobCount;
        uint16 feeBps = _parameters.protocolFeeBps;
        uint40 staleJobTimeout = _parameters.staleJobTimeout;
        Job storage job = _jobs[jobId];
        job.coordinator = params.coordinator;
        job.rounds = params.rounds;
        job.status = JobStatus.Open;
        job.lastActivityAt = uint40(block.timestamp);
        job.paymentToken = params.paymentToken;
        job.feeBps = feeBps;
        job.staleJobTimeout = staleJobTimeout;
        job.researcher = msg.sender;
        job.escrow = uint128(params.reward);
        job.modelSpecHash = params.modelSpecHash;
        _jobDatasets[jobId] = params.datasetIds;
        emit JobCreated(
            jobId,
            msg.sender,
            params.coordinator,
            params.paymentToken,
            params.modelSpecHash,
            params.datasetIds,
            params.rounds,
            params.reward,
            feeBps,
            staleJobTimeout
        );

        IERC20 token = IERC20(params.paymentToken);
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), params.reward);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != params.reward) revert TrainingJobsTransferMismatch(address(token), params.reward, received);
    }

    /// @inheritdoc ITrainingJobs
    function acceptJob(uint256 jobId) external {
        Job storage job = _coordinatedJob(jobId);
        if (job.status != JobStatus.Open) revert TrainingJobsInvalidStatus(jobId, job.status);
        if (job.accepted) revert TrainingJobsAlreadyAccepted(jobId);
        job.accepted = true;
        job.lastActivityAt = uint40(block.timestamp);
        emit JobAccepted(jobId, msg.sender, block.timestamp + job.staleJobTimeout);
    }

    /// @inheritdoc ITrainingJobs
    function anchorRound(uint256 jobId, uint256 round, bytes32 updatesRoot, bytes32 modelHash) external {
        Job storage job = _coordinatedJob(jobId);
        JobStatus status = job.status;
        if (status != JobStatus.Open && status != JobStatus.Running) revert TrainingJobsInvalidStatus(jobId, status);
        uint256 anchored = job.roundsAnchored;
        if (anchored == job.rounds) revert TrainingJobsAllRoundsAnchored(jobId, job.rounds);
        if (round != anchored + 1) revert TrainingJobsRoundOutOfOrder(jobId, round, anchored + 1);
        if (updatesRoot == bytes32(0) || modelHash == bytes32(0)) revert TrainingJobsInvalidAnchor();

        job.roundsAnchored = uint16(round);
        job.status = JobStatus.Running;
        job.lastActivityAt = uint40(block.timestamp);
        _rounds[jobId][round] = RoundAnchor({updatesRoot: updatesRoot, modelHash: modelHash});
        emit RoundAnchored(jobId, round, updatesRoot, modelHash);
    }

    /// @inheritdoc ITrainingJobs
    function finalizeJob(uint256 jobId, bytes32 payoutRoot, uint256 payoutTotal) external nonReentrant {
        Job storage job = _coordinatedJob(jobId);
        if (job.status != JobStatus.Running) revert TrainingJobsInvalidStatus(jobId, job.status);
        if (payoutRoot == bytes32(0) || payoutTotal == 0) revert TrainingJobsInvalidPayout();
        // The escrow fits in 128 bits, so computing the fee only for payouts within it cannot overflow.
        uint256 fee = payoutTotal <= job.escrow ? (payoutTotal * job.feeBps) / BPS : 0;
        if (payoutTotal + fee > job.escrow) revert TrainingJobsPayoutExceedsEscrow(jobId, payoutTotal, fee, job.escrow);

        uint256 claimDeadline = block.timestamp + _parameters.claimPeriod;
        job.status = JobStatus.Finalized;
        job.payoutRoot = payoutRoot;
        job.payoutTotal = uint128(payoutTotal);
        job.fee = uint128(fee);
        job.claimDeadline = uint40(claimDeadline);
        emit JobFinalized(jobId, payoutRoot, payoutTotal, fee, claimDeadline);

        if (fee != 0) {
            IERC20 token = IERC20(job.paymentToken);
            token.forceApprove(address(_treasury), fee);
            _treasury.depositFee(address(token), fee);
        }
    }

    /// @inheritdoc ITrainingJobs
    function claim(uint256 jobId, address trainer, uint256 amount, bytes32[] calldata proof) external nonReentrant {
        Job storage job = _jobs[jobId];
        uint256 claimDeadline = job.claimDeadline;
        // Only finalisation sets the claim deadline, so a zero deadline means "not finalised" (or unknown).
        if (claimDeadline == 0) revert TrainingJobsInvalidStatus(jobId, job.status);
        if (block.timestamp > claimDeadline) revert TrainingJobsClaimPeriodOver(jobId, claimDeadline);
        if (_claimed[jobId][trainer]) revert TrainingJobsAlreadyClaimed(jobId, trainer);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(trainer, amount))));
        if (!MerkleProof.verifyCalldata(proof, job.payoutRoot, leaf)) {
            revert TrainingJobsInvalidProof(jobId, trainer, amount);
        }
        uint256 claimed = job.claimed + amount;
        if (claimed > job.payoutTotal) revert TrainingJobsClaimExceedsPayout(jobId, claimed, job.payoutTotal);

        _claimed[jobId][trainer] = true;
        job.claimed = uint128(claimed);
        emit Claimed(jobId, trainer, amount);
        IERC20(job.paymentToken).safeTransfer(trainer, amount);
    }

    /// @inheritdoc ITrainingJobs
    function reclaim(uint256 jobId) external nonReentrant {
        Job storage job = _researchedJob(jobId);
        if (job.status != JobStatus.Finalized) revert TrainingJobsInvalidStatus(jobId, job.status);
        uint256 amount = _reclaimable(job);
        if (amount == 0) revert TrainingJobsNothingToReclaim(jobId);
        job.refunded += uint128(amount);
        emit Reclaimed(jobId, msg.sender, amount);
        IERC20(job.paymentToken).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ITrainingJobs
    function cancelJob(uint256 jobId) external nonReentrant {
        Job storage job = _researchedJob(jobId);
        JobStatus status = job.status;
        if (status != JobStatus.Open && status != JobStatus.Running) revert TrainingJobsInvalidStatus(jobId, status);
        if (status == JobStatus.Running || job.accepted) {
            uint256 staleAt = uint256(job.lastActivityAt) + job.staleJobTimeout;
            if (block.timestamp <= staleAt) revert TrainingJobsNotCancellable(jobId, staleAt);
        }
        uint128 refund = job.escrow;
        job.status = JobStatus.Cancelled;
        job.refunded = refund;
        emit JobCancelled(jobId, refund);
        IERC20(job.paymentToken).safeTransfer(msg.sender, refund);
    }

    /// @inheritdoc ITrainingJobs
    function setParameters(Parameters calldata parameters_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParameters(parameters_);
    }

    /// @inheritdoc ITrainingJobs
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _existingJob(jobId);
    }

    /// @inheritdoc ITrainingJobs
    function getJobDatasets(uint256 jobId) external view returns (uint256[] memory) {
        _existingJob(jobId);
        return _jobDatasets[jobId];
    }

    /// @inheritdoc ITrainingJobs
    function getRound(uint256 jobId, uint256 round) external view returns (RoundAnchor memory) {
        return _rounds[jobId][round];
    }

    /// @inheritdoc ITrainingJobs
    function isClaimed(uint256 jobId, address trainer) external view returns (bool) {
        return _claimed[jobId][trainer];
    }

    /// @inheritdoc ITrainingJobs
    function reclaimable(uint256 jobId) external view returns (uint256) {
        Job storage job = _existingJob(jobId);
        return job.status == JobStatus.Finalized ? _reclaimable(job) : 0;
    }

    /// @inheritdoc ITrainingJobs
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    /// @inheritdoc ITrainingJobs
    function parameters() external view returns (Parameters memory) {
        return _parameters;
    }

    /// @inheritdoc ITrainingJobs
    function datasetRegistry() external view returns (address) {
        return address(_datasets);
    }

    /// @inheritdoc ITrainingJobs
    function treasury() external view returns (address) {
        return address(_treasury);
    }

    function _existingJob(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.status == JobStatus.None) revert TrainingJobsUnknownJob(jobId);
    }

    function _coordinatedJob(uint256 jobId) private view returns (Job storage job) {
        job = _existingJob(jobId);
        if (job.coordinator != msg.sender) revert TrainingJobsNotCoordinator(jobId, msg.sender);
    }

    function _researchedJob(uint256 jobId) private view returns (Job storage job) {
        job = _existingJob(jobId);
        if (job.researcher != msg.sender) revert TrainingJobsNotResearcher(jobId, msg.sender);
    }

    /// @dev Before the claim deadline the researcher may take what is outside the payout; afterwards also what was
    /// not claimed. Either way `claimed + refunded + fee <= escrow` holds.
    function _reclaimable(Job storage job) private view returns (uint256) {
        uint256 committed = block.timestamp > job.claimDeadline ? job.claimed : job.payoutTotal;
        return uint256(job.escrow) - job.fee - committed - job.refunded;
    }

    function _setParameters(Parameters memory parameters_) private {
        if (
            parameters_.protocolFeeBps > MAX_FEE_BPS ||
            parameters_.claimPeriod < MIN_PERIOD ||
            parameters_.claimPeriod > MAX_PERIOD ||
            parameters_.staleJobTimeout < MIN_PERIOD ||
            parameters_.staleJobTimeout > MAX_PERIOD
        ) revert TrainingJobsInvalidParameters(parameters_);
        _parameters = parameters_;
        emit ParametersUpdated(parameters_);
    }
}
