// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IPaymentChannels
/// @notice Unidirectional payment channels from a buyer to an inference provider. The buyer deposits tokens until an
/// expiry and pays per request off chain with EIP-712 vouchers carrying the cumulative amount owed; the provider
/// redeems the latest voucher, receiving the difference to what it was already paid. After expiry the buyer may
/// start a close; during the challenge period the provider may still redeem a higher voucher; then the rest of the
/// deposit returns to the buyer.
/// @dev Channel ids are sequential, starting at 1. The voucher is the EIP-712 struct
/// `Voucher(uint256 channelId,uint256 amount)` under the domain `{name: "Tributary", version: "1",
/// chainId, verifyingContract}`, signed by the buyer (an EOA, or a contract through ERC-1271): it cannot be replayed on
/// another channel, contract or chain. A channel never pays out more than its deposit: a voucher above the deposit
/// pays up to the deposit. Invariant: `paid <= deposit`, and `paid + refund == deposit` once closed.
interface IPaymentChannels {
    /// @notice Where a channel stands.
    enum ChannelStatus {
        None,
        Open,
        Closing,
        Closed
    }

    /// @notice A channel as stored.
    /// @param buyer The payer, who signs vouchers and receives the refund.
    /// @param status Where it stands.
    /// @param expiry Until when the provider is guaranteed the deposit (unix seconds).
    /// @param closeDeadline The end of the challenge period once closing (unix seconds).
    /// @param provider The payee, who alone redeems vouchers.
    /// @param token The deposit's ERC-20.
    /// @param deposit The amount deposited.
    /// @param paid The cumulative amount redeemed.
    struct Channel {
        address buyer;
        ChannelStatus status;
        uint40 expiry;
        uint40 closeDeadline;
        address provider;
        address token;
        uint128 deposit;
        uint128 paid;
    }

    /// @notice No channel has this id.
    /// @param channelId The unknown id.
    error PaymentChannelsUnknownChannel(uint256 channelId);

    /// @notice The channel is not in a status that allows this action.
    /// @param channelId The channel.
    /// @param status Its current status.
    error PaymentChannelsInvalidStatus(uint256 channelId, ChannelStatus status);

    /// @notice The provider is the zero address or the buyer itself.
    /// @param provider The rejected provider.
    error PaymentChannelsInvalidProvider(address provider);

    /// @notice The token is the zero address.
    error PaymentChannelsInvalidToken();

    /// @notice The deposit is zero or does not fit in 128 bits (or a top-up would overflow it).
    /// @param deposit The rejected deposit.
    error PaymentChannelsInvalidDeposit(uint256 deposit);

    /// @notice The expiry is not in the future (or a top-up would shorten it).
    /// @param expiry The rejected expiry.
    error PaymentChannelsInvalidExpiry(uint256 expiry);

    /// @notice The token arrived with a different amount than requested (fee-on-transfer tokens are unsupported).
    /// @param token The token.
    /// @param expected The amount requested.
    /// @param received The amount that arrived.
    error PaymentChannelsTransferMismatch(address token, uint256 expected, uint256 received);

    /// @notice The caller is not the channel's buyer.
    /// @param channelId The channel.
    /// @param caller The caller.
    error PaymentChannelsNotBuyer(uint256 channelId, address caller);

    /// @notice The caller is not the channel's provider.
    /// @param channelId The channel.
    /// @param caller The caller.
    error PaymentChannelsNotProvider(uint256 channelId, address caller);

    /// @notice The voucher's signature is not the buyer's for this channel, contract and chain.
    /// @param channelId The channel.
    /// @param amount The voucher's amount.
    error PaymentChannelsInvalidSignature(uint256 channelId, uint256 amount);

    /// @notice The voucher would pay nothing: its amount (capped at the deposit) does not exceed what was paid.
    /// @param channelId The channel.
    /// @param amount The voucher's amount.
    /// @param paid The amount already paid.
    error PaymentChannelsVoucherNotIncreasing(uint256 channelId, uint256 amount, uint256 paid);

    /// @notice The channel has not expired, so the buyer cannot start a close.
    /// @param channelId The channel.
    /// @param expiry The expiry.
    error PaymentChannelsNotExpired(uint256 channelId, uint256 expiry);

    /// @notice The challenge period is over: vouchers can no longer be redeemed.
    /// @param channelId The channel.
    /// @param closeDeadline When it ended.
    error PaymentChannelsChallengePeriodOver(uint256 channelId, uint256 closeDeadline);

    /// @notice The challenge period is not over: the channel cannot close yet.
    /// @param channelId The channel.
    /// @param closeDeadline When it ends.
    error PaymentChannelsChallengePeriodActive(uint256 channelId, uint256 closeDeadline);

    /// @notice The challenge period is out of range (1 minute to 30 days).
    /// @param challengePeriod The rejected period in seconds.
    error PaymentChannelsInvalidChallengePeriod(uint256 challengePeriod);

    /// @notice A channel was opened.
    /// @param channelId The new id.
    /// @param buyer The buyer.
    /// @param provider The provider.
    /// @param token The deposit's token.
    /// @param deposit The deposit.
    /// @param expiry The expiry.
    event ChannelOpened(
        uint256 indexed channelId,
        address indexed buyer,
        address indexed provider,
        address token,
        uint256 deposit,
        uint256 expiry
    );

    /// @notice The buyer added to the deposit or extended the expiry.
    /// @param channelId The channel.
    /// @param amount The amount added.
    /// @param deposit The deposit afterwards.
    /// @param expiry The expiry afterwards.
    event ChannelToppedUp(uint256 indexed channelId, uint256 amount, uint256 deposit, uint256 expiry);

    /// @notice The provider redeemed a voucher.
    /// @param channelId The channel.
    /// @param voucherAmount The voucher's cumulative amount.
    /// @param payout The amount sent now.
    /// @param paid The cumulative amount paid afterwards.
    event VoucherRedeemed(uint256 indexed channelId, uint256 voucherAmount, uint256 payout, uint256 paid);

    /// @notice The buyer started closing an expired channel.
    /// @param channelId The channel.
    /// @param closeDeadline The end of the challenge period.
    event ChannelCloseStarted(uint256 indexed channelId, uint256 closeDeadline);

    /// @notice A channel closed and the rest of its deposit returned to the buyer.
    /// @param channelId The channel.
    /// @param paid The total paid to the provider.
    /// @param refund The amount returned to the buyer.
    event ChannelClosed(uint256 indexed channelId, uint256 paid, uint256 refund);

    /// @notice Governance changed the challenge period.
    /// @param previousPeriod The period before, in seconds.
    /// @param newPeriod The period after, in seconds.
    event ChallengePeriodUpdated(uint256 previousPeriod, uint256 newPeriod);

    /// @notice Opens a channel to `provider`, pulling `deposit` of `token` from the caller (approve first).
    /// @param provider The provider; neither zero nor the caller.
    /// @param token The deposit's token; non-zero.
    /// @param deposit The deposit; positive and below 2^128.
    /// @param expiry Until when the deposit is committed (unix seconds, in the future).
    /// @return channelId The new channel's id.
    function open(
        address provider,
        address token,
        uint256 deposit,
        uint256 expiry
    ) external returns (uint256 channelId);

    /// @notice Adds `amount` to an open channel's deposit (pulled from the caller) and sets its expiry to
    /// `newExpiry`. Buyer only.
    /// @param channelId The channel.
    /// @param amount The amount to add (may be zero to only extend).
    /// @param newExpiry The new expiry; not earlier than the current one.
    function topUp(uint256 channelId, uint256 amount, uint256 newExpiry) external;

    /// @notice Redeems a voucher: pays the provider `min(amount, deposit) - paid`. Provider only, while the channel is
    /// open or within the challenge period of a close.
    /// @param channelId The channel.
    /// @param amount The voucher's cumulative amount.
    /// @param signature The buyer's EIP-712 signature of `Voucher(channelId, amount)`.
    function redeem(uint256 channelId, uint256 amount, bytes calldata signature) external;

    /// @notice Starts closing an expired channel; the provider may redeem until the challenge period ends. Buyer
    /// only.
    /// @param channelId The channel.
    function startClose(uint256 channelId) external;

    /// @notice Closes a channel whose challenge period is over and refunds the rest of the deposit to the buyer.
    /// Anyone may call.
    /// @param channelId The channel.
    function finalizeClose(uint256 channelId) external;

    /// @notice Sets the challenge period for closes started from now on. Governance only.
    /// @param challengePeriod The period in seconds (1 minute to 30 days).
    function setChallengePeriod(uint256 challengePeriod) external;

    /// @notice Reads a channel.
    /// @param channelId The channel; reverts when unknown.
    /// @return The channel as stored.
    function getChannel(uint256 channelId) external view returns (Channel memory);

    /// @notice The EIP-712 digest a buyer signs for a voucher.
    /// @param channelId The channel.
    /// @param amount The cumulative amount.
    /// @return The digest.
    function voucherDigest(uint256 channelId, uint256 amount) external view returns (bytes32);

    /// @notice The number of channels ever opened (also the highest id).
    /// @return The count.
    function channelCount() external view returns (uint256);

    /// @notice The current challenge period.
    /// @return The period in seconds.
    function challengePeriod() external view returns (uint256);

    /// @notice The EIP-712 type hash of vouchers.
    /// @return `keccak256("Voucher(uint256 channelId,uint256 amount)")`.
    function VOUCHER_TYPEHASH() external view returns (bytes32);
}
