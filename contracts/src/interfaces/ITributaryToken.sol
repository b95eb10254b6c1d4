// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITributaryToken
/// @notice The protocol's utility token: ERC-20 with EIP-2612 permit, ERC-5805 votes, a hard supply cap,
/// holder burning, and minting restricted to accounts holding `MINTER_ROLE`.
/// @dev Errors for the cap and for roles come from OpenZeppelin (`ERC20ExceededCap`,
/// `AccessControlUnauthorizedAccount`); this interface adds the ones specific to Tributary.
interface ITributaryToken {
    /// @notice The cap given at deployment was zero.
    error TributaryTokenInvalidCap(uint256 cap);

    /// @notice The administrator given at deployment was the zero address.
    error TributaryTokenInvalidAdmin(address admin);

    /// @notice Mints `amount` new tokens to `to`.
    /// @dev Only callable by accounts holding `MINTER_ROLE`. Reverts with `ERC20ExceededCap(increasedSupply, cap)`
    /// when the total supply would exceed the cap.
    /// @param to The account that receives the tokens.
    /// @param amount The amount to mint, in the token's smallest unit.
    function mint(address to, uint256 amount) external;

    /// @notice The role allowed to mint.
    /// @return The role identifier, `keccak256("MINTER_ROLE")`.
    function MINTER_ROLE() external view returns (bytes32);
}
