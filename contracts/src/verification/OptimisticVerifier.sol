// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IInferenceProofVerifier} from "../interfaces/IInferenceProofVerifier.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IOptimisticVerifier} from "../interfaces/IOptimisticVerifier.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {ITreasury} from "../interfaces/ITreasury.sol";

/// @title OptimisticVerifier
/// @notice Inference tasks with a dispute window, challenger bonds, ZK or committee resolution and slashing.
contract OptimisticVerifier is IOptimisticVerifier, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IOptimisticVerifier
    uint256 public constant VOID_PENALTY_BPS = 1_000;

    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_WINDOW = 1 minutes;
    uint256 private constant MAX_WINDOW = 30 days;

    IModelRegistry private immutable _models;
    IStaking private immutable _staking;
    ITreasury private immutable _treasury;
    IERC20 private immutable _bondToken;

    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => mapping(address member => bool)) private _voted;
    mapping(address account => bool) private _committee;
    mapping(uint256 modelId => address) private _proofVerifiers;
    mapping(address account => mapping(address token => uint256)) private _owed;
    uint256 private _committeeSize;
    uint256 private _taskCount;
    Parameters private _parameters;

    /// @param modelRegistry_ The model registry (this contract needs its `VERIFIER_ROLE`).
    /// @param staking_ The staking contract (bonds are in its token; slashes go through the model registry).
    /// @param treasury_ The treasury receiving the non-winner share of forfeited bonds.
    /// @param parameters_ The initial governance parameters.
    /// @param committee_ The initial committee (may be empty: governance appoints it later).
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(
        address modelRegistry_,
        address staking_,
        address treasury_,
        Parameters memory parameters_,
        address[] memory committee_,
        address admin
    ) {
        _models = IModelRegistry(modelRegistry_);
        _staking = IStaking(staking_);
        _treasury = ITreasury(treasury_);
        _bondToken = IERC20(IStaking(staking_).stakingToken());
        for (uint256 i = 0; i < committee_.length; ++i) _addMember(committee_[i]);
        _setParameters(parameters_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IOptimisticVerifier
    function createTask(
        uint256 modelId,
        bytes32 inputHash,
        address paymentToken,
        uint256 payment
    ) external nonReentrant returns (uint256 taskId) {
        if (inputHash == bytes32(0)) revert OptimisticVerifierZeroHash();
        if (paymentToken == address(0)) revert OptimisticVerifierInvalidPaymentToken();
        if (payment == 0) revert OptimisticVerifierZeroPayment(modelId);
        IModelRegistry.Model memory model = _models.getModel(modelId);
        if (!model.active) revert OptimisticVerifierModelInactive(modelId);
        if (model.provider == msg.sender) revert OptimisticVerifierSelfRequest(modelId, msg.sender);

        taskId = ++_taskCount;
        uint256 deadline = block.timestamp + _parameters.responseTimeout;
        Task storage task = _tasks[taskId];
        task.requester = msg.sender;
        task.status = TaskStatus.Requested;
        task.deadline = uint40(deadline);
        task.provider = model.provider;
        task.paymentToken = paymentToken;
        task.modelId = modelId;
        task.payment = payment;
        task.inputHash = inputHash;
        emit TaskCreated(taskId, msg.sender, model.provider, modelId, inputHash, paymentToken, payment, deadline);
        _pull(IERC20(paymentToken), payment);
    }

    /// @inheritdoc IOptimisticVerifier
    function submitResult(uint256 taskId, bytes32 responseHash) external {
        Task storage task = _taskIn(taskId, TaskStatus.Requested);
        if (task.provider != msg.sender) revert OptimisticVerifierNotProvider(taskId, msg.sender);
        if (block.timestamp > task.deadline) revert OptimisticVerifierResponseTooLate(taskId, task.deadline);
        if (responseHash == bytes32(0)) revert OptimisticVerifierZeroHash();
        uint256 disputeDeadline = block.timestamp + _parameters.disputeWindow;
        task.status = TaskStatus.Submitted;
        task.deadline = uint40(disputeDeadline);
        task.responseHash = responseHash;
        emit ResultSubmitted(taskId, responseHash, disputeDeadline);
    }

    /// @inheritdoc IOptimisticVerifier
    function cancelTask(uint256 taskId) external nonReentrant {
        Task storage task = _taskIn(taskId, TaskStatus.Requested);
        if (task.requester != msg.sender) revert OptimisticVerifierNotRequester(taskId, msg.sender);
        if (block.timestamp <= task.deadline) revert OptimisticVerifierResponsePending(taskId, task.deadline);
        task.status = TaskStatus.Cancelled;
        emit TaskCancelled(taskId, task.payment);
        if (task.payment != 0) IERC20(task.paymentToken).safeTransfer(msg.sender, task.payment);
    }

    /// @inheritdoc IOptimisticVerifier
    function dispute(uint256 taskId, bytes32 alternativeResponseHash) external nonReentrant {
        Task storage task = _taskIn(taskId, TaskStatus.Submitted);
        if (block.timestamp > task.deadline) revert OptimisticVerifierDisputeWindowClosed(taskId, task.deadline);
        if (task.provider == msg.sender) revert OptimisticVerifierSelfDispute(taskId);
        if (alternativeResponseHash == bytes32(0) || alternativeResponseHash == task.responseHash) {
            revert OptimisticVerifierInvalidResponseHash(taskId, alternativeResponseHash);
        }
        uint256 bond = _parameters.challengerBond;
        address verifier = _proofVerifiers[task.modelId];
        if (verifier == address(0) && _committeeSize < _parameters.committeeThreshold) {
            revert OptimisticVerifierThresholdAboveCommittee(_parameters.committeeThreshold, _committeeSize);
        }
        uint256 resolutionDeadline = block.timestamp + _parameters.resolutionPeriod;
        task.status = TaskStatus.Disputed;
        task.deadline = uint40(resolutionDeadline);
        task.challenger = msg.sender;
        task.proofVerifier = verifier;
        task.bond = bond;
        task.alternativeResponseHash = alternativeResponseHash;
        emit Disputed(taskId, msg.sender, alternativeResponseHash, bond, verifier, resolutionDeadline);
        _pull(_bondToken, bond);
    }

    /// @inheritdoc IOptimisticVerifier
    function resolveWithProof(uint256 taskId, bytes32 responseHash, bytes calldata proof) external nonReentrant {
        Task storage task = _openDispute(taskId);
        if (task.proofVerifier == address(0)) revert OptimisticVerifierNoProofVerifier(taskId);
        bool forProvider = responseHash == task.responseHash;
        if (!forProvider && responseHash != task.alternativeResponseHash) {
            revert OptimisticVerifierInvalidResponseHash(taskId, responseHash);
        }
        bytes32 modelHash = _models.getModel(task.modelId).modelHash;
        bool valid = IInferenceProofVerifier(task.proofVerifier).verifyInference(
            modelHash,
            task.inputHash,
            responseHash,
            proof
        );
        if (!valid) revert OptimisticVerifierInvalidProof(taskId, responseHash);
        _settle(taskId, task, forProvider ? Outcome.ProviderWon : Outcome.ChallengerWon);
    }

    /// @inheritdoc IOptimisticVerifier
    function vote(uint256 taskId, bool providerCorrect) external nonReentrant {
        Task storage task = _openDispute(taskId);
        if (task.proofVerifier != address(0)) revert OptimisticVerifierProofRequired(taskId);
        if (!_committee[msg.sender]) revert OptimisticVerifierNotCommitteeMember(msg.sender);
        uint256 memberStake = _staking.stakeOf(msg.sender);
        uint256 minimum = _parameters.minCommitteeStake;
        if (memberStake < minimum)
            revert OptimisticVerifierInsufficientCommitteeStake(msg.sender, memberStake, minimum);
        if (msg.sender == task.provider || msg.sender == task.challenger || msg.sender == task.requester) {
            revert OptimisticVerifierConflictedMember(taskId, msg.sender);
        }
        if (_voted[taskId][msg.sender]) revert OptimisticVerifierAlreadyVoted(taskId, msg.sender);

        _voted[taskId][msg.sender] = true;
        uint256 votes = providerCorrect ? ++task.votesForProvider : ++task.votesForChallenger;
        emit VoteCast(taskId, msg.sender, providerCorrect);
        if (votes >= _parameters.committeeThreshold) {
            _settle(taskId, task, providerCorrect ? Outcome.ProviderWon : Outcome.ChallengerWon);
        }
    }

    /// @inheritdoc IOptimisticVerifier
    function resolveTimeout(uint256 taskId) external nonReentrant {
        Task storage task = _taskIn(taskId, TaskStatus.Disputed);
        if (block.timestamp <= task.deadline) revert OptimisticVerifierResolutionPending(taskId, task.deadline);
        _settle(taskId, task, task.proofVerifier != address(0) ? Outcome.ChallengerWon : Outcome.Void);
    }

    /// @inheritdoc IOptimisticVerifier
    function finalizeTask(uint256 taskId) external nonReentrant {
        Task storage task = _taskIn(taskId, TaskStatus.Submitted);
        if (block.timestamp <= task.deadline) revert OptimisticVerifierDisputeWindowOpen(taskId, task.deadline);
        _settle(taskId, task, Outcome.Accepted);
    }

    /// @inheritdoc IOptimisticVerifier
    function withdraw(address token) external nonReentrant {
        uint256 amount = _owed[msg.sender][token];
        if (amount == 0) revert OptimisticVerifierNothingToWithdraw(msg.sender, token);
        _owed[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, amount);
        IERC20(token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IOptimisticVerifier
    function setCommitteeMember(address member, bool isMember) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (member == address(0)) revert OptimisticVerifierInvalidMember();
        if (isMember) {
            _addMember(member);
        } else if (_committee[member]) {
            uint256 size = _committeeSize - 1;
            uint256 threshold = _parameters.committeeThreshold;
            if (size != 0 && size < threshold) revert OptimisticVerifierThresholdAboveCommittee(threshold, size);
            _committee[member] = false;
            _committeeSize = size;
            emit CommitteeMemberUpdated(member, false, size);
        } else {
            emit CommitteeMemberUpdated(member, false, _committeeSize);
        }
    }

    /// @inheritdoc IOptimisticVerifier
    function setProofVerifier(uint256 modelId, address proofVerifier_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _proofVerifiers[modelId] = proofVerifier_;
        emit ProofVerifierUpdated(modelId, proofVerifier_);
    }

    /// @inheritdoc IOptimisticVerifier
    function setParameters(Parameters calldata parameters_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParameters(parameters_);
    }

    /// @inheritdoc IOptimisticVerifier
    function getTask(uint256 taskId) external view returns (Task memory) {
        Task storage task = _tasks[taskId];
        if (task.status == TaskStatus.None) revert OptimisticVerifierUnknownTask(taskId);
        return task;
    }

    /// @inheritdoc IOptimisticVerifier
    function hasVoted(uint256 taskId, address member) external view returns (bool) {
        return _voted[taskId][member];
    }

    /// @inheritdoc IOptimisticVerifier
    function isCommitteeMember(address account) external view returns (bool) {
        return _committee[account];
    }

    /// @inheritdoc IOptimisticVerifier
    function committeeSize() external view returns (uint256) {
        return _committeeSize;
    }

    /// @inheritdoc IOptimisticVerifier
    function proofVerifier(uint256 modelId) external view returns (address) {
        return _proofVerifiers[modelId];
    }

    /// @inheritdoc IOptimisticVerifier
    function owed(address account, address token) external view returns (uint256) {
        return _owed[account][token];
    }

    /// @inheritdoc IOptimisticVerifier
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc IOptimisticVerifier
    function parameters() external view returns (Parameters memory) {
        return _parameters;
    }

    function _taskIn(uint256 taskId, TaskStatus expected) private view returns (Task storage task) {
        task = _tasks[taskId];
        TaskStatus status = task.status;
        if (status == TaskStatus.None) revert OptimisticVerifierUnknownTask(taskId);
        if (status != expected) revert OptimisticVerifierInvalidStatus(taskId, status);
    }

    function _openDispute(uint256 taskId) private view returns (Task storage task) {
        task = _taskIn(taskId, TaskStatus.Disputed);
        if (block.timestamp > task.deadline) revert OptimisticVerifierResolutionPeriodOver(taskId, task.deadline);
    }

    /// @dev The one place a task ends: credits every party, then slashes and reports to the registry.
    function _settle(uint256 taskId, Task storage task, Outcome outcome) private {
        task.status = TaskStatus.Finalized;
        task.outcome = outcome;
        address provider = task.provider;
        uint256 forfeitedBond;
        if (outcome == Outcome.ChallengerWon) {
            _owed[task.requester][task.paymentToken] += task.payment;
            _owed[task.challenger][address(_bondToken)] += task.bond;
        } else {
            _owed[provider][task.paymentToken] += task.payment;
            if (outcome == Outcome.Void) {
                uint256 penalty = (task.bond * VOID_PENALTY_BPS) / BPS;
                _owed[provider][address(_bondToken)] += penalty;
                _owed[task.challenger][address(_bondToken)] += task.bond - penalty;
            } else if (outcome == Outcome.ProviderWon) {
                uint256 toProvider = (task.bond * _staking.winnerShareBps()) / BPS;
                _owed[provider][address(_bondToken)] += toProvider;
                forfeitedBond = task.bond - toProvider;
            }
        }

        uint256 slashed;
        if (outcome == Outcome.ChallengerWon) {
            slashed = _models.slashModel(task.modelId, _parameters.providerSlashAmount, task.challenger);
        }
        emit TaskFinalized(taskId, outcome, slashed);

        if (forfeitedBond != 0) {
            _bondToken.forceApprove(address(_treasury), forfeitedBond);
            _treasury.depositFee(address(_bondToken), forfeitedBond);
        }
        if (outcome != Outcome.Void) _models.recordOutcome(task.modelId, outcome != Outcome.ChallengerWon);
    }

    function _pull(IERC20 token, uint256 amount) private {
        if (amount == 0) return;
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert OptimisticVerifierTransferMismatch(address(token), amount, received);
    }

    function _addMember(address member) private {
        if (member == address(0)) revert OptimisticVerifierInvalidMember();
        if (!_committee[member]) {
            _committee[member] = true;
            ++_committeeSize;
        }
        emit CommitteeMemberUpdated(member, true, _committeeSize);
    }

    function _setParameters(Parameters memory parameters_) private {
        if (
            !_validWindow(parameters_.disputeWindow) ||
            !_validWindow(parameters_.resolutionPeriod) ||
            !_validWindow(parameters_.responseTimeout) ||
            parameters_.committeeThreshold == 0 ||
            parameters_.challengerBond == 0 ||
            parameters_.providerSlashAmount == 0
        ) revert OptimisticVerifierInvalidParameters(parameters_);
        uint256 size = _committeeSize;
        if (size != 0 && parameters_.committeeThreshold > size) {
            revert OptimisticVerifierThresholdAboveCommittee(parameters_.committeeThreshold, size);
        }
        _parameters = parameters_;
        emit ParametersUpdated(parameters_);
    }

    function _validWindow(uint256 window) private pure returns (bool) {
        return window >= MIN_WINDOW && window <= MAX_WINDOW;
    }
}
