// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ITributaryToken} from "../interfaces/ITributaryToken.sol";

/// @title TributaryToken
/// @notice The Tributary utility token (TRIB).
/// @dev Votes use timestamps (ERC-6372 `mode=timestamp`) so governance works the same on L1 and L2s.
contract TributaryToken is ITributaryToken, ERC20, ERC20Burnable, ERC20Capped, ERC20Permit, ERC20Votes, AccessControl {
    /// @inheritdoc ITributaryToken
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param cap_ The maximum total supply, in the token's smallest unit; must be non-zero.
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(
        uint256 cap_,
        address admin
    ) ERC20("Tributary", "TRIB") ERC20Capped(_checkedCap(cap_)) ERC20Permit("Tributary") {
        if (admin == address(0)) revert TributaryTokenInvalidAdmin(admin);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ITributaryToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice ERC-6372: votes are checkpointed by block timestamp.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372 clock description.
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc Nonces
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped, ERC20Votes) {
        super._update(from, to, value);
    }

    function _checkedCap(uint256 cap_) private pure returns (uint256) {
        if (cap_ == 0) revert TributaryTokenInvalidCap(cap_);
        return cap_;
    }
}
