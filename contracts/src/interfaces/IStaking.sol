// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IStaking
/// @notice Stake of the utility token backing providers and re-executors. Unstaking goes through an unbonding delay
/// during which the stake can still be slashed. Contracts that governance authorises may lock part of a stake (the
/// model registry, for registered models) and slash it (the model registry, for the model a dispute was lost on); a
/// slash pays a governance-set share to the winner of the dispute and the rest to the treasury. A slash takes only
/// free and unbonding stake, never locked stake: a locker that wants its locked stake slashed unlocks it first, so
/// a slash for one model can never eat into the stake another model locked.
/// @dev Invariants: the contract's token balance equals `totalStaked()`, which equals the sum over accounts of
/// `stakeOf + unbonding amount`, which equals everything staked minus everything withdrawn minus `totalSlashed()`;
/// `lockedOf(account) <= stakeOf(account)` for every account.
interface IStaking {
    /// @notice An amount of zero was given where a positive amount is required.
    error StakingZeroAmount();

    /// @notice The account's free (unlocked) stake is smaller than requested.
    /// @param account The staker.
    /// @param available The free stake.
    /// @param requested The amount requested.
    error StakingInsufficientStake(address account, uint256 available, uint256 requested);

    /// @notice The account has nothing unbonding.
    /// @param account The staker.
    error StakingNothingToWithdraw(address account);

    /// @notice The unbonding delay of the account's pending unstake has not elapsed.
    /// @param account The staker.
    /// @param releaseTime When the unbonding amount becomes withdrawable (unix seconds).
    error StakingUnbondingNotReady(address account, uint256 releaseTime);

    /// @notice A slash named the zero address as winner.
    /// @param winner The rejected winner.
    error StakingInvalidWinner(address winner);

    /// @notice The winner's share of slashes exceeds 100 % (10,000 basis points).
    /// @param winnerShareBps The rejected share.
    error StakingInvalidWinnerShare(uint256 winnerShareBps);

    /// @notice The unbonding delay exceeds `MAX_UNBONDING_DELAY`.
    /// @param delay The rejected delay in seconds.
    error StakingInvalidUnbondingDelay(uint256 delay);

    /// @notice The token arrived with a different amount than requested (fee-on-transfer tokens are unsupported).
    /// @param expected The amount requested.
    /// @param received The amount that arrived.
    error StakingTransferMismatch(uint256 expected, uint256 received);

    /// @notice `account` staked `amount`.
    /// @param account The staker.
    /// @param amount The amount added.
    /// @param newStake The account's active stake afterwards.
    event Staked(address indexed account, uint256 amount, uint256 newStake);

    /// @notice `account` started unbonding `amount`; the whole unbonding amount is withdrawable at `releaseTime`.
    /// @param account The staker.
    /// @param amount The amount moved from active stake to unbonding.
    /// @param totalUnbonding The account's unbonding amount afterwards.
    /// @param releaseTime When `totalUnbonding` becomes withdrawable (unix seconds).
    event UnstakeRequested(address indexed account, uint256 amount, uint256 totalUnbonding, uint256 releaseTime);

    /// @notice `account` withdrew its unbonded stake.
    /// @param account The staker.
    /// @param amount The amount sent to the staker.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice An authorised slasher slashed `account`.
    /// @param account The slashed staker.
    /// @param slasher The authorised contract that slashed.
    /// @param winner The winner of the dispute, who received `toWinner`.
    /// @param amount The amount taken (free active stake first, then unbonding).
    /// @param toWinner The part of `amount` sent to `winner`.
    /// @param toTreasury The part of `amount` sent to the treasury.
    event Slashed(
        address indexed account,
        address indexed slasher,
        address indexed winner,
        uint256 amount,
        uint256 toWinner,
        uint256 toTreasury
    );

    /// @notice An authorised locker changed the locked part of `account`'s stake.
    /// @param account The staker.
    /// @param locker The contract that locked or unlocked.
    /// @param totalLocked The account's locked stake afterwards.
    event LockUpdated(address indexed account, address indexed locker, uint256 totalLocked);

    /// @notice Governance changed the unbonding delay.
    /// @param previousDelay The delay before, in seconds.
    /// @param newDelay The delay after, in seconds.
    event UnbondingDelayUpdated(uint256 previousDelay, uint256 newDelay);

    /// @notice Governance changed the winner's share of slashes.
    /// @param previousBps The share before, in basis points.
    /// @param newBps The share after, in basis points.
    event WinnerShareUpdated(uint256 previousBps, uint256 newBps);

    /// @notice Stakes `amount` of the staking token, pulled from the caller (approve first).
    /// @param amount The amount; must be non-zero.
    function stake(uint256 amount) external;

    /// @notice Moves `amount` of the caller's free stake into unbonding. The caller's whole unbonding amount becomes
    /// withdrawable `unbondingDelay()` seconds from now (a new request restarts the delay).
    /// @param amount The amount; must be non-zero and at most `stakeOf(caller) - lockedOf(caller)`.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller's unbonded stake to the caller once its release time has passed.
    function withdraw() external;

    /// @notice Slashes up to `amount` of `account`'s stake: its free (unlocked) active stake first, then its
    /// unbonding stake. Locked stake is never taken. Only `SLASHER_ROLE`.
    /// @param account The staker to slash.
    /// @param amount The amount to take; less is taken when the account's free and unbonding stake is smaller.
    /// @param winner The dispute's winner, who receives `winnerShareBps()` of the slashed amount.
    /// @return slashed The amount actually taken.
    function slash(address account, uint256 amount, address winner) external returns (uint256 slashed);

    /// @notice Locks `amount` more of `account`'s free stake so it cannot be unstaked. Only `LOCKER_ROLE`.
    /// @param account The staker.
    /// @param amount The amount to lock; at most the account's free stake.
    function lock(address account, uint256 amount) external;

    /// @notice Unlocks up to `amount` of `account`'s locked stake (less when less is locked). Only `LOCKER_ROLE`.
    /// @param account The staker.
    /// @param amount The amount to unlock.
    function unlock(address account, uint256 amount) external;

    /// @notice Sets the unbonding delay for future unstake requests. Governance only.
    /// @param delay The delay in seconds, at most `MAX_UNBONDING_DELAY`.
    function setUnbondingDelay(uint256 delay) external;

    /// @notice Sets the winner's share of future slashes; the treasury receives the rest. Governance only.
    /// @param winnerShareBps The share in basis points, at most 10,000.
    function setWinnerShare(uint256 winnerShareBps) external;

    /// @notice The active stake of `account` (locked included, unbonding excluded).
    /// @param account The staker.
    /// @return The active stake.
    function stakeOf(address account) external view returns (uint256);

    /// @notice The locked part of `account`'s active stake.
    /// @param account The staker.
    /// @return The locked stake.
    function lockedOf(address account) external view returns (uint256);

    /// @notice The unbonding stake of `account` and when it becomes withdrawable.
    /// @param account The staker.
    /// @return amount The unbonding amount.
    /// @return releaseTime When it becomes withdrawable (unix seconds; zero when nothing unbonds).
    function unbondingOf(address account) external view returns (uint256 amount, uint256 releaseTime);

    /// @notice The sum of all active and unbonding stakes.
    /// @return The total held by this contract.
    function totalStaked() external view returns (uint256);

    /// @notice The total amount slashed since deployment.
    /// @return The total slashed.
    function totalSlashed() external view returns (uint256);

    /// @notice The current unbonding delay.
    /// @return The delay in seconds.
    function unbondingDelay() external view returns (uint256);

    /// @notice The winner's share of slashes.
    /// @return The share in basis points.
    function winnerShareBps() external view returns (uint256);

    /// @notice The staked token.
    /// @return The token's address.
    function stakingToken() external view returns (address);

    /// @notice The treasury that receives the non-winner share of slashes.
    /// @return The treasury's address.
    function treasury() external view returns (address);

    /// @notice The longest unbonding delay governance may set.
    /// @return The delay in seconds.
    function MAX_UNBONDING_DELAY() external view returns (uint256);

    /// @notice The role allowed to slash.
    /// @return The role identifier, `keccak256("SLASHER_ROLE")`.
    function SLASHER_ROLE() external view returns (bytes32);

    /// @notice The role allowed to lock and unlock stake.
    /// @return The role identifier, `keccak256("LOCKER_ROLE")`.
    function LOCKER_ROLE() external view returns (bytes32);
}
