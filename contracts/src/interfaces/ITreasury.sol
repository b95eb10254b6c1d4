// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITreasury
/// @notice Receives the protocol's fees. A governance-set share of every fee paid in the utility token is burned on
/// arrival; everything else stays in the treasury until governance withdraws it.
/// @dev Fees in other tokens (stablecoins) are kept whole: the burn share applies to the utility token only, and
/// governance performs any buyback off this contract through `withdraw`.
interface ITreasury {
    /// @notice A fee deposit of zero was attempted.
    error TreasuryZeroAmount();

    /// @notice The burn share exceeds 100 % (10,000 basis points).
    /// @param burnBps The rejected share, in basis points.
    error TreasuryInvalidBurnShare(uint256 burnBps);

    /// @notice A withdrawal named the zero address as recipient.
    /// @param to The rejected recipient.
    error TreasuryInvalidRecipient(address to);

    /// @notice The token was transferred in with a different amount than requested (fee-on-transfer tokens).
    /// @param token The token.
    /// @param expected The amount requested.
    /// @param received The amount that arrived.
    error TreasuryTransferMismatch(address token, uint256 expected, uint256 received);

    /// @notice A fee arrived.
    /// @param from The paying contract or account.
    /// @param token The token the fee was paid in.
    /// @param amount The whole fee.
    /// @param burned The part of `amount` burned (zero unless `token` is the utility token).
    event FeeDeposited(address indexed from, address indexed token, uint256 amount, uint256 burned);

    /// @notice Governance withdrew funds.
    /// @param token The token withdrawn.
    /// @param to The recipient.
    /// @param amount The amount withdrawn.
    event Withdrawn(address indexed token, address indexed to, uint256 amount);

    /// @notice Governance changed the burn share.
    /// @param previousBps The share before, in basis points.
    /// @param newBps The share after, in basis points.
    event BurnShareUpdated(uint256 previousBps, uint256 newBps);

    /// @notice Pulls a fee of `amount` of `token` from the caller (who must have approved it) and burns the burn
    /// share when `token` is the utility token.
    /// @param token The token the fee is paid in.
    /// @param amount The fee; must be non-zero.
    function depositFee(address token, uint256 amount) external;

    /// @notice Sends `amount` of `token` held by the treasury to `to`. Governance only.
    /// @param token The token to send.
    /// @param to The recipient; must not be the zero address.
    /// @param amount The amount to send.
    function withdraw(address token, address to, uint256 amount) external;

    /// @notice Sets the share of utility-token fees burned on arrival. Governance only.
    /// @param burnBps The share in basis points, at most 10,000.
    function setBurnShare(uint256 burnBps) external;

    /// @notice The share of utility-token fees burned on arrival.
    /// @return The share in basis points.
    function burnShareBps() external view returns (uint256);

    /// @notice The utility token whose fees are partly burned.
    /// @return The token's address.
    function burnToken() external view returns (address);

    /// @notice The total amount of the utility token this treasury has burned.
    /// @return The amount burned since deployment.
    function totalBurned() external view returns (uint256);
}
