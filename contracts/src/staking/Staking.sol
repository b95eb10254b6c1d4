// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {ITreasury} from "../interfaces/ITreasury.sol";

/// @title Staking
/// @notice Utility-token stake with an unbonding delay, locks for registered models and slashing by authorised
/// contracts.
contract Staking is IStaking, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    struct Account {
        uint256 active;
        uint256 locked;
        uint256 unbonding;
        uint256 releaseTime;
    }

    /// @inheritdoc IStaking
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @inheritdoc IStaking
    bytes32 public constant LOCKER_ROLE = keccak256("LOCKER_ROLE");
    /// @inheritdoc IStaking
    uint256 public constant MAX_UNBONDING_DELAY = 90 days;

    uint256 private constant BPS = 10_000;

    IERC20 private immutable _token;
    ITreasury private immutable _treasury;

    mapping(address account => Account) private _accounts;
    uint256 private _totalStaked;
    uint256 private _totalSlashed;
    uint256 private _unbondingDelay;
    uint256 private _winnerShareBps;

    /// @param token_ The staked token (the utility token).
    /// @param treasury_ The treasury receiving the non-winner share of slashes.
    /// @param unbondingDelay_ The initial unbonding delay in seconds.
    /// @param winnerShareBps_ The initial winner's share of slashes in basis points.
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(address token_, address treasury_, uint256 unbondingDelay_, uint256 winnerShareBps_, address admin) {
        _token = IERC20(token_);
        _treasury = ITreasury(treasury_);
        _setUnbondingDelay(unbondingDelay_);
        _setWinnerShare(winnerShareBps_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IStaking
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert StakingTransferMismatch(amount, received);
        Account storage account = _accounts[msg.sender];
        account.active += amount;
        _totalStaked += amount;
        emit Staked(msg.sender, amount, account.active);
    }

    /// @inheritdoc IStaking
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        Account storage account = _accounts[msg.sender];
        uint256 free = account.active - account.locked;
        if (amount > free) revert StakingInsufficientStake(msg.sender, free, amount);
        account.active -= amount;
        account.unbonding += amount;
        account.releaseTime = block.timestamp + _unbondingDelay;
        emit UnstakeRequested(msg.sender, amount, account.unbonding, account.releaseTime);
    }

    /// @inheritdoc IStaking
    function withdraw() external nonReentrant {
        Account storage account = _accounts[msg.sender];
        uint256 amount = account.unbonding;
        if (amount == 0) revert StakingNothingToWithdraw(msg.sender);
        if (block.timestamp < account.releaseTime) revert StakingUnbondingNotReady(msg.sender, account.releaseTime);
        account.unbonding = 0;
        account.releaseTime = 0;
        _totalStaked -= amount;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStaking
    function slash(
        address account,
        uint256 amount,
        address winner
    ) external onlyRole(SLASHER_ROLE) nonReentrant returns (uint256 slashed) {
        if (winner == address(0)) revert StakingInvalidWinner(winner);
        Account storage staker = _accounts[account];
        // Locked stake is never taken here: its locker releases it first, so each lock keeps its own accounting.
        uint256 free = staker.active - staker.locked;
        uint256 fromActive = amount < free ? amount : free;
        uint256 fromUnbonding = amount - fromActive;
        if (fromUnbonding > staker.unbonding) fromUnbonding = staker.unbonding;
        slashed = fromActive + fromUnbonding;
        if (slashed == 0) return 0;
        staker.active -= fromActive;
        staker.unbonding -= fromUnbonding;
        _totalStaked -= slashed;
        _totalSlashed += slashed;
        uint256 toWinner = (slashed * _winnerShareBps) / BPS;
        uint256 toTreasury = slashed - toWinner;
        emit Slashed(account, msg.sender, winner, slashed, toWinner, toTreasury);
        if (toWinner != 0) _token.safeTransfer(winner, toWinner);
        if (toTreasury != 0) {
            _token.forceApprove(address(_treasury), toTreasury);
            _treasury.depositFee(address(_token), toTreasury);
        }
    }

    /// @inheritdoc IStaking
    function lock(address account, uint256 amount) external onlyRole(LOCKER_ROLE) {
        if (amount == 0) revert StakingZeroAmount();
        Account storage staker = _accounts[account];
        uint256 free = staker.active - staker.locked;
        if (amount > free) revert StakingInsufficientStake(account, free, amount);
        staker.locked += amount;
        emit LockUpdated(account, msg.sender, staker.locked);
    }

    /// @inheritdoc IStaking
    function unlock(address account, uint256 amount) external onlyRole(LOCKER_ROLE) {
        Account storage staker = _accounts[account];
        staker.locked -= amount < staker.locked ? amount : staker.locked;
        emit LockUpdated(account, msg.sender, staker.locked);
    }

    /// @inheritdoc IStaking
    function setUnbondingDelay(uint256 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingDelay(delay);
    }

    /// @inheritdoc IStaking
    function setWinnerShare(uint256 winnerShareBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setWinnerShare(winnerShareBps_);
    }

    /// @inheritdoc IStaking
    function stakeOf(address account) external view returns (uint256) {
        return _accounts[account].active;
    }

    /// @inheritdoc IStaking
    function lockedOf(address account) external view returns (uint256) {
        return _accounts[account].locked;
    }

    /// @inheritdoc IStaking
    function unbondingOf(address account) external view returns (uint256 amount, uint256 releaseTime) {
        Account storage staker = _accounts[account];
        return (staker.unbonding, staker.releaseTime);
    }

    /// @inheritdoc IStaking
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @inheritdoc IStaking
    function totalSlashed() external view returns (uint256) {
        return _totalSlashed;
    }

    /// @inheritdoc IStaking
    function unbondingDelay() external view returns (uint256) {
        return _unbondingDelay;
    }

    /// @inheritdoc IStaking
    function winnerShareBps() external view returns (uint256) {
        return _winnerShareBps;
    }

    /// @inheritdoc IStaking
    function stakingToken() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IStaking
    function treasury() external view returns (address) {
        return address(_treasury);
    }

    function _setUnbondingDelay(uint256 delay) private {
        if (delay > MAX_UNBONDING_DELAY) revert StakingInvalidUnbondingDelay(delay);
        uint256 previousDelay = _unbondingDelay;
        _unbondingDelay = delay;
        emit UnbondingDelayUpdated(previousDelay, delay);
    }

    function _setWinnerShare(uint256 winnerShareBps_) private {
        if (winnerShareBps_ > BPS) revert StakingInvalidWinnerShare(winnerShareBps_);
        uint256 previousBps = _winnerShareBps;
        _winnerShareBps = winnerShareBps_;
        emit WinnerShareUpdated(previousBps, winnerShareBps_);
    }
}
