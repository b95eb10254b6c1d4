// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {ITrainingJobs} from "../interfaces/ITrainingJobs.sol";
import {ITreasury} from "../interfaces/ITreasury.sol";

/// @title ModelRegistry
/// @notice Registered models with locked stake and reputation, and licence sales with their revenue split.
contract ModelRegistry is IModelRegistry, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IModelRegistry
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    /// @inheritdoc IModelRegistry
    uint256 public constant REPUTATION_PENALTY = 10;
    /// @inheritdoc IModelRegistry
    uint256 public constant MAX_FEE_BPS = 1_000;

    uint256 private constant BPS = 10_000;

    IStaking private immutable _staking;
    ITrainingJobs private immutable _jobs;
    ITreasury private immutable _treasury;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 modelId => mapping(address account => bool)) private _licenses;
    mapping(uint256 jobId => mapping(address provider => bool)) private _approvedProviders;
    mapping(address account => mapping(address token => uint256)) private _pending;
    mapping(uint256 modelId => uint256) private _contributorPool;
    mapping(uint256 modelId => mapping(address trainer => uint256)) private _contributorClaimed;
    mapping(uint256 modelId => uint256) private _contributorPaid;
    uint256 private _modelCount;
    Parameters private _parameters;

    /// @param staking_ The staking contract whose stake models lock (this contract needs its `LOCKER_ROLE` and
    /// `SLASHER_ROLE`).
    /// @param jobs_ The training jobs contract models reference.
    /// @param treasury_ The treasury receiving licence fees.
    /// @param parameters_ The initial governance parameters.
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(address staking_, address jobs_, address treasury_, Parameters memory parameters_, address admin) {
        _staking = IStaking(staking_);
        _jobs = ITrainingJobs(jobs_);
        _treasury = ITreasury(treasury_);
        _setParameters(parameters_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IModelRegistry
    function registerModel(ModelParams calldata params) external returns (uint256 modelId) {
        if (params.modelHash == bytes32(0)) revert ModelRegistryInvalidModelHash();
        if (params.paymentToken == address(0)) revert ModelRegistryInvalidPaymentToken();
        uint256 minimum = _parameters.minModelStake;
        if (params.stake < minimum || params.stake == 0) revert ModelRegistryInsufficientStake(params.stake, minimum);
        if (params.jobId != 0) _checkJobReference(params.jobId, msg.sender);

        modelId = ++_modelCount;
        Model storage model = _models[modelId];
        model.provider = msg.sender;
        model.active = true;
        model.paymentToken = params.paymentToken;
        model.jobId = params.jobId;
        model.modelHash = params.modelHash;
        model.pricePerToken = params.pricePerToken;
        model.licensePrice = params.licensePrice;
        model.stake = params.stake;
        model.modelURI = params.modelURI;
        model.endpoint = params.endpoint;
        _staking.lock(msg.sender, params.stake);
        emit ModelRegistered(
            modelId,
            msg.sender,
            params.jobId,
            params.modelHash,
            params.modelURI,
            params.endpoint,
            params.pricePerToken,
            params.licensePrice,
            params.paymentToken,
            params.stake
        );
    }

    /// @inheritdoc IModelRegistry
    function updateModel(
        uint256 modelId,
        string calldata endpoint,
        uint256 pricePerToken,
        uint256 licensePrice
    ) external {
        Model storage model = _providedActive(modelId);
        model.endpoint = endpoint;
        model.pricePerToken = pricePerToken;
        model.licensePrice = licensePrice;
        emit ModelUpdated(modelId, endpoint, pricePerToken, licensePrice);
    }

    /// @inheritdoc IModelRegistry
    function deactivateModel(uint256 modelId) external {
        _deactivate(modelId, _providedActive(modelId));
    }

    /// @inheritdoc IModelRegistry
    function setProviderApproval(uint256 jobId, address provider, bool approved) external {
        if (_jobs.getJob(jobId).researcher != msg.sender) revert ModelRegistryNotResearcher(jobId, msg.sender);
        _approvedProviders[jobId][provider] = approved;
        emit ProviderApprovalUpdated(jobId, provider, approved);
    }

    /// @inheritdoc IModelRegistry
    function purchaseLicense(uint256 modelId, uint256 maxPrice) external nonReentrant {
        Model storage model = _existing(modelId);
        if (!model.active) revert ModelRegistryInactive(modelId);
        uint256 price = model.licensePrice;
        if (price > maxPrice) revert ModelRegistryPriceAboveMax(modelId, price, maxPrice);
        if (_licenses[modelId][msg.sender]) revert ModelRegistryAlreadyLicensed(modelId, msg.sender);
        _licenses[modelId][msg.sender] = true;

        Parameters memory params = _parameters;
        uint256 fee = (price * params.protocolFeeBps) / BPS;
        uint256 researcherShare;
        uint256 contributorShare;
        address researcher;
        if (model.jobId != 0) {
            researcher = _jobs.getJob(model.jobId).researcher;
            researcherShare = ((price - fee) * params.researcherShareBps) / BPS;
            contributorShare = ((price - fee) * params.contributorShareBps) / BPS;
        }
        uint256 providerShare = price - fee - researcherShare - contributorShare;
        _pending[model.provider][model.paymentToken] += providerShare;
        if (researcherShare != 0) _pending[researcher][model.paymentToken] += researcherShare;
        if (contributorShare != 0) _contributorPool[modelId] += contributorShare;
        emit LicensePurchased(modelId, msg.sender, price, fee, providerShare, researcherShare, contributorShare);

        if (price == 0) return;
        IERC20 token = IERC20(model.paymentToken);
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), price);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != price) revert ModelRegistryTransferMismatch(address(token), price, received);
        if (fee != 0) {
            token.forceApprove(address(_treasury), fee);
            _treasury.depositFee(address(token), fee);
        }
    }

    /// @inheritdoc IModelRegistry
    function withdrawRevenue(address token) external nonReentrant {
        uint256 amount = _pending[msg.sender][token];
        if (amount == 0) revert ModelRegistryNothingToWithdraw(msg.sender, token);
        _pending[msg.sender][token] = 0;
        emit RevenueWithdrawn(msg.sender, token, amount);
        IERC20(token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IModelRegistry
    function claimContributorRevenue(
        uint256 modelId,
        address trainer,
        uint256 amount,
        bytes32[] calldata proof
    ) external nonReentrant {
        Model storage model = _existing(modelId);
        if (model.jobId == 0) revert ModelRegistryNoJob(modelId);
        ITrainingJobs.Job memory job = _jobs.getJob(model.jobId);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(trainer, amount))));
        if (!MerkleProof.verifyCalldata(proof, job.payoutRoot, leaf)) {
            revert ModelRegistryInvalidProof(modelId, trainer, amount);
        }
        uint256 pool = _contributorPool[modelId];
        uint256 entitled = (pool * amount) / job.payoutTotal;
        uint256 already = _contributorClaimed[modelId][trainer];
        // Leaves of an honest tree sum to payoutTotal; should a tree sum to more, the pool still caps the payouts.
        uint256 remaining = pool - _contributorPaid[modelId];
        uint256 due = entitled > already ? entitled - already : 0;
        if (due > remaining) due = remaining;
        if (due == 0) revert ModelRegistryNothingToClaim(modelId, trainer);
        _contributorClaimed[modelId][trainer] = already + due;
        _contributorPaid[modelId] += due;
        emit ContributorRevenueClaimed(modelId, trainer, due);
        IERC20(model.paymentToken).safeTransfer(trainer, due);
    }

    /// @inheritdoc IModelRegistry
    function recordOutcome(uint256 modelId, bool correct) external onlyRole(VERIFIER_ROLE) {
        Model storage model = _existing(modelId);
        uint256 score = model.reputationScore;
        if (correct) {
            score += 1;
        } else {
            score = score > REPUTATION_PENALTY ? score - REPUTATION_PENALTY : 0;
        }
        model.reputationScore = score;
        emit ReputationUpdated(modelId, correct, score);
    }

    /// @inheritdoc IModelRegistry
    function slashModel(
        uint256 modelId,
        uint256 amount,
        address winner
    ) external onlyRole(VERIFIER_ROLE) returns (uint256 slashed) {
        Model storage model = _existing(modelId);
        address provider = model.provider;
        uint256 stakeLeft = model.stake;
        uint256 fromModel = amount < stakeLeft ? amount : stakeLeft;
        if (fromModel != 0) {
            stakeLeft -= fromModel;
            model.stake = stakeLeft;
            // Staking never slashes locked stake: release the model's share first, then slash it as free stake.
            _staking.unlock(provider, fromModel);
        }
        slashed = _staking.slash(provider, amount, winner);
        emit ModelSlashed(modelId, fromModel, slashed, stakeLeft);
        if (model.active && (stakeLeft < _parameters.minModelStake || stakeLeft == 0)) _deactivate(modelId, model);
    }

    /// @inheritdoc IModelRegistry
    function setParameters(Parameters calldata parameters_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParameters(parameters_);
    }

    /// @inheritdoc IModelRegistry
    function getModel(uint256 modelId) external view returns (Model memory) {
        return _existing(modelId);
    }

    /// @inheritdoc IModelRegistry
    function hasLicense(uint256 modelId, address account) external view returns (bool) {
        return _licenses[modelId][account];
    }

    /// @inheritdoc IModelRegistry
    function isProviderApproved(uint256 jobId, address provider) external view returns (bool) {
        return _approvedProviders[jobId][provider];
    }

    /// @inheritdoc IModelRegistry
    function pendingRevenue(address account, address token) external view returns (uint256) {
        return _pending[account][token];
    }

    /// @inheritdoc IModelRegistry
    function contributorPool(uint256 modelId) external view returns (uint256) {
        return _contributorPool[modelId];
    }

    /// @inheritdoc IModelRegistry
    function contributorClaimed(uint256 modelId, address trainer) external view returns (uint256) {
        return _contributorClaimed[modelId][trainer];
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IModelRegistry
    function parameters() external view returns (Parameters memory) {
        return _parameters;
    }

    function _existing(uint256 modelId) private view returns (Model storage model) {
        model = _models[modelId];
        if (model.provider == address(0)) revert ModelRegistryUnknownModel(modelId);
    }

    function _providedActive(uint256 modelId) private view returns (Model storage model) {
        model = _existing(modelId);
        if (model.provider != msg.sender) revert ModelRegistryNotProvider(modelId, msg.sender);
        if (!model.active) revert ModelRegistryInactive(modelId);
    }

    /// @dev Ends a model: no new tasks or licences, and only the stake still locked for it is unlocked.
    function _deactivate(uint256 modelId, Model storage model) private {
        uint256 unlocked = model.stake;
        model.active = false;
        model.stake = 0;
        if (unlocked != 0) _staking.unlock(model.provider, unlocked);
        emit ModelDeactivated(modelId, unlocked);
    }

    function _checkJobReference(uint256 jobId, address provider) private view {
        ITrainingJobs.Job memory job = _jobs.getJob(jobId);
        if (job.status != ITrainingJobs.JobStatus.Finalized) revert ModelRegistryJobNotFinalized(jobId);
        if (job.researcher != provider && !_approvedProviders[jobId][provider]) {
            revert ModelRegistryProviderNotApproved(jobId, provider);
        }
    }

    function _setParameters(Parameters memory parameters_) private {
        uint256 shares =
            uint256(parameters_.providerShareBps) + parameters_.researcherShareBps + parameters_.contributorShareBps;
        if (parameters_.protocolFeeBps > MAX_FEE_BPS || shares != BPS) {
            revert ModelRegistryInvalidParameters(parameters_);
        }
        _parameters = parameters_;
        emit ParametersUpdated(parameters_);
    }
}
