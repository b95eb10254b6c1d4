// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ITreasury} from "../interfaces/ITreasury.sol";

/// @title Treasury
/// @notice Collects protocol fees, burns a governance-set share of utility-token fees, and holds the rest for
/// governance.
contract Treasury is ITreasury, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;

    address private immutable _burnToken;
    uint256 private _burnShareBps;
    uint256 private _totalBurned;

    /// @param burnToken_ The utility token (burnable) whose fees are partly burned.
    /// @param burnBps The initial burn share in basis points.
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(address burnToken_, uint256 burnBps, address admin) {
        _burnToken = burnToken_;
        _setBurnShare(burnBps);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ITreasury
    function depositFee(address token, uint256 amount) external nonReentrant {
        if (amount == 0) revert TreasuryZeroAmount();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TreasuryTransferMismatch(token, amount, received);
        uint256 burned = token == _burnToken ? (amount * _burnShareBps) / BPS : 0;
        if (burned != 0) {
            _totalBurned += burned;
            ERC20Burnable(token).burn(burned);
        }
        emit FeeDeposited(msg.sender, token, amount, burned);
    }

    /// @inheritdoc ITreasury
    function withdraw(address token, address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert TreasuryInvalidRecipient(to);
        IERC20(token).safeTransfer(to, amount);
        emit Withdrawn(token, to, amount);
    }

    /// @inheritdoc ITreasury
    function setBurnShare(uint256 burnBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setBurnShare(burnBps);
    }

    /// @inheritdoc ITreasury
    function burnShareBps() external view returns (uint256) {
        return _burnShareBps;
    }

    /// @inheritdoc ITreasury
    function burnToken() external view returns (address) {
        return _burnToken;
    }

    /// @inheritdoc ITreasury
    function totalBurned() external view returns (uint256) {
        return _totalBurned;
    }

    function _setBurnShare(uint256 burnBps) private {
        if (burnBps > BPS) revert TreasuryInvalidBurnShare(burnBps);
        uint256 previousBps = _burnShareBps;
        _burnShareBps = burnBps;
        emit BurnShareUpdated(previousBps, burnBps);
    }
}
