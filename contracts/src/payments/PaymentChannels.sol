// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IPaymentChannels} from "../interfaces/IPaymentChannels.sol";

/// @title PaymentChannels
/// @notice Unidirectional buyer-to-provider channels paid with cumulative EIP-712 vouchers.
contract PaymentChannels is IPaymentChannels, AccessControl, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /// @inheritdoc IPaymentChannels
    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(uint256 channelId,uint256 amount)");

    uint256 private constant MIN_CHALLENGE_PERIOD = 1 minutes;
    uint256 private constant MAX_CHALLENGE_PERIOD = 30 days;

    mapping(uint256 channelId => Channel) private _channels;
    uint256 private _channelCount;
    uint256 private _challengePeriod;

    /// @param challengePeriod_ The initial challenge period in seconds.
    /// @param admin The account granted `DEFAULT_ADMIN_ROLE` (governance's timelock in production).
    constructor(uint256 challengePeriod_, address admin) EIP712("Tributary", "1") {
        _setChallengePeriod(challengePeriod_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IPaymentChannels
    function open(
        address provider,
        address token,
        uint256 deposit,
        uint256 expiry
    ) external nonReentrant returns (uint256 channelId) {
        if (provider == address(0) || provider == msg.sender) revert PaymentChannelsInvalidProvider(provider);
        if (token == address(0)) revert PaymentChannelsInvalidToken();
        if (deposit == 0 || deposit > type(uint128).max) revert PaymentChannelsInvalidDeposit(deposit);
        if (expiry <= block.timestamp || expiry > type(uint40).max) revert PaymentChannelsInvalidExpiry(expiry);

        channelId = ++_channelCount;
        _channels[channelId] = Channel({
            buyer: msg.sender,
            status: ChannelStatus.Open,
            expiry: uint40(expiry),
            closeDeadline: 0,
            provider: provider,
            token: token,
            deposit: uint128(deposit),
            paid: 0
        });
        emit ChannelOpened(channelId, msg.sender, provider, token, deposit, expiry);
        _pull(IERC20(token), deposit);
    }

    /// @inheritdoc IPaymentChannels
    function topUp(uint256 channelId, uint256 amount, uint256 newExpiry) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (channel.buyer != msg.sender) revert PaymentChannelsNotBuyer(channelId, msg.sender);
        if (channel.status != ChannelStatus.Open) revert PaymentChannelsInvalidStatus(channelId, channel.status);
        if (newExpiry < channel.expiry || newExpiry > type(uint40).max) revert PaymentChannelsInvalidExpiry(newExpiry);
        uint256 deposit = channel.deposit + amount;
        if (deposit > type(uint128).max) revert PaymentChannelsInvalidDeposit(deposit);
        channel.deposit = uint128(deposit);
        channel.expiry = uint40(newExpiry);
        emit ChannelToppedUp(channelId, amount, deposit, newExpiry);
        _pull(IERC20(channel.token), amount);
    }

    /// @inheritdoc IPaymentChannels
    function redeem(uint256 channelId, uint256 amount, bytes calldata signature) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (channel.provider != msg.sender) revert PaymentChannelsNotProvider(channelId, msg.sender);
        ChannelStatus status = channel.status;
        if (status == ChannelStatus.Closing) {
            if (block.timestamp > channel.closeDeadline) {
                revert PaymentChannelsChallengePeriodOver(channelId, channel.closeDeadline);
            }
        } else if (status != ChannelStatus.Open) {
            revert PaymentChannelsInvalidStatus(channelId, status);
        }
        uint256 deposit = channel.deposit;
        uint256 paid = channel.paid;
        uint256 capped = amount < deposit ? amount : deposit;
        if (capped <= paid) revert PaymentChannelsVoucherNotIncreasing(channelId, amount, paid);
        if (
            !SignatureChecker.isValidSignatureNowCalldata(channel.buyer, _voucherDigest(channelId, amount), signature)
        ) {
            revert PaymentChannelsInvalidSignature(channelId, amount);
        }

        channel.paid = uint128(capped);
        uint256 payout = capped - paid;
        emit VoucherRedeemed(channelId, amount, payout, capped);
        IERC20(channel.token).safeTransfer(msg.sender, payout);
    }

    /// @inheritdoc IPaymentChannels
    function startClose(uint256 channelId) external {
        Channel storage channel = _existing(channelId);
        if (channel.buyer != msg.sender) revert PaymentChannelsNotBuyer(channelId, msg.sender);
        if (channel.status != ChannelStatus.Open) revert PaymentChannelsInvalidStatus(channelId, channel.status);
        if (block.timestamp <= channel.expiry) revert PaymentChannelsNotExpired(channelId, channel.expiry);
        uint256 closeDeadline = block.timestamp + _challengePeriod;
        channel.status = ChannelStatus.Closing;
        channel.closeDeadline = uint40(closeDeadline);
        emit ChannelCloseStarted(channelId, closeDeadline);
    }

    /// @inheritdoc IPaymentChannels
    function finalizeClose(uint256 channelId) external nonReentrant {
        Channel storage channel = _existing(channelId);
        if (channel.status != ChannelStatus.Closing) revert PaymentChannelsInvalidStatus(channelId, channel.status);
        if (block.timestamp <= channel.closeDeadline) {
            revert PaymentChannelsChallengePeriodActive(channelId, channel.closeDeadline);
        }
        channel.status = ChannelStatus.Closed;
        uint256 refund = uint256(channel.deposit) - channel.paid;
        emit ChannelClosed(channelId, channel.paid, refund);
        if (refund != 0) IERC20(channel.token).safeTransfer(channel.buyer, refund);
    }

    /// @inheritdoc IPaymentChannels
    function setChallengePeriod(uint256 challengePeriod_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setChallengePeriod(challengePeriod_);
    }

    /// @inheritdoc IPaymentChannels
    function getChannel(uint256 channelId) external view returns (Channel memory) {
        return _existing(channelId);
    }

    /// @inheritdoc IPaymentChannels
    function voucherDigest(uint256 channelId, uint256 amount) external view returns (bytes32) {
        return _voucherDigest(channelId, amount);
    }

    /// @inheritdoc IPaymentChannels
    function channelCount() external view returns (uint256) {
        return _channelCount;
    }

    /// @inheritdoc IPaymentChannels
    function challengePeriod() external view returns (uint256) {
        return _challengePeriod;
    }

    function _existing(uint256 channelId) private view returns (Channel storage channel) {
        channel = _channels[channelId];
        if (channel.status == ChannelStatus.None) revert PaymentChannelsUnknownChannel(channelId);
    }

    function _voucherDigest(uint256 channelId, uint256 amount) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, channelId, amount)));
    }

    function _pull(IERC20 token, uint256 amount) private {
        if (amount == 0) return;
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert PaymentChannelsTransferMismatch(address(token), amount, received);
    }

    function _setChallengePeriod(uint256 challengePeriod_) private {
        if (challengePeriod_ < MIN_CHALLENGE_PERIOD || challengePeriod_ > MAX_CHALLENGE_PERIOD) {
            revert PaymentChannelsInvalidChallengePeriod(challengePeriod_);
        }
        uint256 previousPeriod = _challengePeriod;
        _challengePeriod = challengePeriod_;
        emit ChallengePeriodUpdated(previousPeriod, challengePeriod_);
    }
}
