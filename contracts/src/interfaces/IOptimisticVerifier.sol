// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IOptimisticVerifier
/// @notice Optimistic verification of inference results (the seed's `OptimisticAIVerifier`, hardened). A requester
/// escrows a payment for a task on a registered model; the model's provider submits the response hash; during the
/// dispute window anyone may dispute by posting a bond in the staking token and an alternative response hash. A
/// dispute is resolved by the model's registered ZK verifier when it has one (the provider must prove its response
/// before the resolution deadline), otherwise by m-of-n votes of the governance-appointed committee of staked
/// re-executors. The loser pays: a wrong provider is slashed through `ModelRegistry.slashModel` (the model's locked
/// stake first; the challenger receives the winner's share), a wrong challenger loses its bond (split between the
/// provider and the treasury in the same proportion). A committee dispute that no side wins before the resolution
/// deadline ends Void: the provider is paid, and the challenger gets its bond back less `VOID_PENALTY_BPS`, which is
/// credited to the provider for the delayed payment (so a challenger cannot hold up payments for free).
/// Undisputed results finalise after the window and release the payment. All payouts are credited and withdrawn.
/// Tasks carry a positive payment and their requester is never the model's provider, so reputation cannot be
/// farmed with free or self-paid tasks. The committee threshold m never exceeds the committee size n once a committee
/// is appointed, and a committee dispute can only be opened while n >= m.
/// @dev Task ids are sequential, starting at 1. Windows are in seconds, never blocks. A finalised task cannot be
/// disputed. Requires `VERIFIER_ROLE` on `ModelRegistry` (which itself holds `SLASHER_ROLE` on `Staking`).
interface IOptimisticVerifier {
    /// @notice Where a task stands.
    enum TaskStatus {
        None,
        Requested,
        Submitted,
        Disputed,
        Finalized,
        Cancelled
    }

    /// @notice How a finalised task ended.
    enum Outcome {
        None,
        Accepted,
        ProviderWon,
        ChallengerWon,
        Void
    }

    /// @notice A task as stored.
    /// @param requester The account that escrowed the payment.
    /// @param status Where the task stands.
    /// @param outcome How it ended (once finalised).
    /// @param deadline The response deadline while requested, the dispute deadline once submitted, the resolution
    /// deadline once disputed (unix seconds).
    /// @param provider The model's provider when the task was created.
    /// @param paymentToken The payment's token.
    /// @param challenger The disputing account.
    /// @param proofVerifier The ZK verifier resolving the dispute (zero: the committee).
    /// @param votesForProvider Committee votes that the provider's response is correct.
    /// @param votesForChallenger Committee votes that it is wrong.
    /// @param modelId The model.
    /// @param payment The escrowed payment.
    /// @param bond The challenger's bond, in the staking token.
    /// @param inputHash The hash of the request's input.
    /// @param responseHash The provider's response hash.
    /// @param alternativeResponseHash The challenger's response hash.
    struct Task {
        address requester;
        TaskStatus status;
        Outcome outcome;
        uint40 deadline;
        address provider;
        address paymentToken;
        address challenger;
        address proofVerifier;
        uint32 votesForProvider;
        uint32 votesForChallenger;
        uint256 modelId;
        uint256 payment;
        uint256 bond;
        bytes32 inputHash;
        bytes32 responseHash;
        bytes32 alternativeResponseHash;
    }

    /// @notice Governance parameters.
    /// @param disputeWindow Seconds after a submission during which it may be disputed (1 minute to 30 days).
    /// @param resolutionPeriod Seconds a dispute has to be resolved by proof or votes (1 minute to 30 days).
    /// @param responseTimeout Seconds a provider has to submit before the requester may cancel (1 minute to 30
    /// days).
    /// @param committeeThreshold Votes (m) on one side that resolve a committee dispute; positive.
    /// @param challengerBond The bond a dispute posts; positive.
    /// @param providerSlashAmount The stake taken from a provider proven wrong; positive.
    /// @param minCommitteeStake The stake a committee member needs to vote.
    struct Parameters {
        uint40 disputeWindow;
        uint40 resolutionPeriod;
        uint40 responseTimeout;
        uint16 committeeThreshold;
        uint256 challengerBond;
        uint256 providerSlashAmount;
        uint256 minCommitteeStake;
    }

    /// @notice No task has this id.
    /// @param taskId The unknown id.
    error OptimisticVerifierUnknownTask(uint256 taskId);

    /// @notice The task is not in a status that allows this action.
    /// @param taskId The task.
    /// @param status Its current status.
    error OptimisticVerifierInvalidStatus(uint256 taskId, TaskStatus status);

    /// @notice The model is inactive.
    /// @param modelId The model.
    error OptimisticVerifierModelInactive(uint256 modelId);

    /// @notice A hash argument is zero.
    error OptimisticVerifierZeroHash();

    /// @notice The payment token is the zero address.
    error OptimisticVerifierInvalidPaymentToken();

    /// @notice A task's payment is zero (free tasks would let reputation be farmed).
    /// @param modelId The model.
    error OptimisticVerifierZeroPayment(uint256 modelId);

    /// @notice The requester is the model's provider (self-paid tasks would let reputation be farmed).
    /// @param modelId The model.
    /// @param requester The requester.
    error OptimisticVerifierSelfRequest(uint256 modelId, address requester);

    /// @notice The committee threshold m exceeds the committee size n: every committee dispute would end Void.
    /// Raised when parameters are set (constructor and `setParameters`) and n > 0, when a removal leaves
    /// 0 < n < m, and when a committee dispute is opened while n < m.
    /// @param committeeThreshold The threshold m.
    /// @param committeeSize The committee size n.
    error OptimisticVerifierThresholdAboveCommittee(uint256 committeeThreshold, uint256 committeeSize);

    /// @notice The token arrived with a different amount than requested (fee-on-transfer tokens are unsupported).
    /// @param token The token.
    /// @param expected The amount requested.
    /// @param received The amount that arrived.
    error OptimisticVerifierTransferMismatch(address token, uint256 expected, uint256 received);

    /// @notice The caller is not the task's provider.
    /// @param taskId The task.
    /// @param caller The caller.
    error OptimisticVerifierNotProvider(uint256 taskId, address caller);

    /// @notice The caller is not the task's requester.
    /// @param taskId The task.
    /// @param caller The caller.
    error OptimisticVerifierNotRequester(uint256 taskId, address caller);

    /// @notice The response deadline has passed.
    /// @param taskId The task.
    /// @param deadline The deadline.
    error OptimisticVerifierResponseTooLate(uint256 taskId, uint256 deadline);

    /// @notice The provider may still respond, so the task cannot be cancelled yet.
    /// @param taskId The task.
    /// @param deadline The response deadline.
    error OptimisticVerifierResponsePending(uint256 taskId, uint256 deadline);

    /// @notice The dispute window has closed.
    /// @param taskId The task.
    /// @param deadline When it closed.
    error OptimisticVerifierDisputeWindowClosed(uint256 taskId, uint256 deadline);

    /// @notice The dispute window is still open, so the task cannot be finalised yet.
    /// @param taskId The task.
    /// @param deadline When it closes.
    error OptimisticVerifierDisputeWindowOpen(uint256 taskId, uint256 deadline);

    /// @notice The provider tried to dispute its own result.
    /// @param taskId The task.
    error OptimisticVerifierSelfDispute(uint256 taskId);

    /// @notice The response hash is neither distinct from the provider's (disputes) nor one of the two disputed
    /// hashes (proofs).
    /// @param taskId The task.
    /// @param responseHash The rejected hash.
    error OptimisticVerifierInvalidResponseHash(uint256 taskId, bytes32 responseHash);

    /// @notice The dispute is resolved by the committee, not by a proof.
    /// @param taskId The task.
    error OptimisticVerifierNoProofVerifier(uint256 taskId);

    /// @notice The dispute is resolved by a proof, not by the committee.
    /// @param taskId The task.
    error OptimisticVerifierProofRequired(uint256 taskId);

    /// @notice The ZK verifier rejected the proof.
    /// @param taskId The task.
    /// @param responseHash The response the proof was for.
    error OptimisticVerifierInvalidProof(uint256 taskId, bytes32 responseHash);

    /// @notice The caller is not a committee member.
    /// @param caller The caller.
    error OptimisticVerifierNotCommitteeMember(address caller);

    /// @notice The committee member's stake is below the minimum.
    /// @param member The member.
    /// @param stake Its stake.
    /// @param minimum The minimum.
    error OptimisticVerifierInsufficientCommitteeStake(address member, uint256 stake, uint256 minimum);

    /// @notice The committee member is the task's provider, challenger or requester and may not vote on it.
    /// @param taskId The task.
    /// @param member The member.
    error OptimisticVerifierConflictedMember(uint256 taskId, address member);

    /// @notice The committee member already voted on this dispute.
    /// @param taskId The task.
    /// @param member The member.
    error OptimisticVerifierAlreadyVoted(uint256 taskId, address member);

    /// @notice The resolution period is over.
    /// @param taskId The task.
    /// @param deadline When it ended.
    error OptimisticVerifierResolutionPeriodOver(uint256 taskId, uint256 deadline);

    /// @notice The resolution period is not over yet.
    /// @param taskId The task.
    /// @param deadline When it ends.
    error OptimisticVerifierResolutionPending(uint256 taskId, uint256 deadline);

    /// @notice The account has nothing to withdraw in this token.
    /// @param account The account.
    /// @param token The token.
    error OptimisticVerifierNothingToWithdraw(address account, address token);

    /// @notice A committee change named the zero address.
    error OptimisticVerifierInvalidMember();

    /// @notice Governance parameters out of range.
    /// @param parameters The rejected parameters.
    error OptimisticVerifierInvalidParameters(Parameters parameters);

    /// @notice A task was created and its payment escrowed.
    /// @param taskId The new id.
    /// @param requester The requester.
    /// @param provider The model's provider.
    /// @param modelId The model.
    /// @param inputHash The input's hash.
    /// @param paymentToken The payment's token.
    /// @param payment The payment.
    /// @param responseDeadline When the provider must have responded.
    event TaskCreated(
        uint256 indexed taskId,
        address indexed requester,
        address indexed provider,
        uint256 modelId,
        bytes32 inputHash,
        address paymentToken,
        uint256 payment,
        uint256 responseDeadline
    );

    /// @notice The provider submitted its response.
    /// @param taskId The task.
    /// @param responseHash The response's hash.
    /// @param disputeDeadline The end of the dispute window.
    event ResultSubmitted(uint256 indexed taskId, bytes32 responseHash, uint256 disputeDeadline);

    /// @notice A task without response was cancelled and its payment refunded.
    /// @param taskId The task.
    /// @param refund The amount refunded.
    event TaskCancelled(uint256 indexed taskId, uint256 refund);

    /// @notice A result was disputed.
    /// @param taskId The task.
    /// @param challenger The challenger.
    /// @param alternativeResponseHash The challenger's response hash.
    /// @param bond The bond posted.
    /// @param proofVerifier The ZK verifier that resolves it (zero: the committee).
    /// @param resolutionDeadline The end of the resolution period.
    event Disputed(
        uint256 indexed taskId,
        address indexed challenger,
        bytes32 alternativeResponseHash,
        uint256 bond,
        address proofVerifier,
        uint256 resolutionDeadline
    );

    /// @notice A committee member voted.
    /// @param taskId The task.
    /// @param member The member.
    /// @param providerCorrect Whether it found the provider's response correct.
    event VoteCast(uint256 indexed taskId, address indexed member, bool providerCorrect);

    /// @notice A task ended and its payouts were credited.
    /// @param taskId The task.
    /// @param outcome How it ended.
    /// @param slashed The provider stake slashed (challenger won) or zero.
    event TaskFinalized(uint256 indexed taskId, Outcome outcome, uint256 slashed);

    /// @notice Credited funds were withdrawn.
    /// @param account The account.
    /// @param token The token.
    /// @param amount The amount sent.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice Governance changed the committee.
    /// @param member The account.
    /// @param isMember Whether it is a member now.
    /// @param committeeSize The number of members afterwards.
    event CommitteeMemberUpdated(address indexed member, bool isMember, uint256 committeeSize);

    /// @notice Governance set a model's ZK verifier.
    /// @param modelId The model.
    /// @param proofVerifier The verifier (zero: disputes go to the committee).
    event ProofVerifierUpdated(uint256 indexed modelId, address proofVerifier);

    /// @notice Governance changed the parameters.
    /// @param parameters The new parameters.
    event ParametersUpdated(Parameters parameters);

    /// @notice Creates a task on an active model and escrows `payment` of `paymentToken` from the caller (approve
    /// first). The caller may not be the model's provider.
    /// @param modelId The model.
    /// @param inputHash The hash of the request's input; non-zero.
    /// @param paymentToken The payment's token; non-zero.
    /// @param payment The payment; positive.
    /// @return taskId The new task's id.
    function createTask(
        uint256 modelId,
        bytes32 inputHash,
        address paymentToken,
        uint256 payment
    ) external returns (uint256 taskId);

    /// @notice Submits the response hash of a task. Provider only, before the response deadline.
    /// @param taskId The task.
    /// @param responseHash The response's hash; non-zero.
    function submitResult(uint256 taskId, bytes32 responseHash) external;

    /// @notice Cancels a task whose provider did not respond in time and refunds the payment. Requester only.
    /// @param taskId The task.
    function cancelTask(uint256 taskId) external;

    /// @notice Disputes a submitted result within the dispute window, pulling `challengerBond` of the staking token
    /// from the caller (approve first). Anyone but the provider. A dispute the committee resolves (the model has no ZK
    /// verifier) can only be opened while the committee has at least `committeeThreshold` members.
    /// @param taskId The task.
    /// @param alternativeResponseHash The response hash the challenger holds correct; non-zero and different from
    /// the provider's.
    function dispute(uint256 taskId, bytes32 alternativeResponseHash) external;

    /// @notice Resolves a dispute with a ZK proof of one of the two disputed responses. Anyone, before the
    /// resolution deadline.
    /// @param taskId The task.
    /// @param responseHash The provider's or the challenger's response hash; the side it belongs to wins.
    /// @param proof The proof, checked by the task's ZK verifier.
    function resolveWithProof(uint256 taskId, bytes32 responseHash, bytes calldata proof) external;

    /// @notice Casts a committee member's vote on a dispute; the side that reaches `committeeThreshold` votes wins at
    /// once. Members with at least `minCommitteeStake` only, neither the
    /// provider nor the challenger nor the requester, once per dispute, before the resolution deadline.
    /// @param taskId The task.
    /// @param providerCorrect Whether re-execution reproduced the provider's response.
    function vote(uint256 taskId, bool providerCorrect) external;

    /// @notice Ends a dispute left unresolved after the resolution deadline: with a ZK verifier the provider failed
    /// to prove its response and loses; with the committee the dispute is Void: the payment goes to the provider, and
    /// the challenger's bond is returned less `VOID_PENALTY_BPS` of it, which is credited to the provider for the
    /// delay.
    /// @param taskId The task.
    function resolveTimeout(uint256 taskId) external;

    /// @notice Finalises an undisputed result after the dispute window and credits the payment to the provider.
    /// @param taskId The task.
    function finalizeTask(uint256 taskId) external;

    /// @notice Sends the caller its credited funds in `token`.
    /// @param token The token.
    function withdraw(address token) external;

    /// @notice Adds or removes a committee member. Governance only. Adding is always allowed (while a committee is
    /// appointed it may be smaller than the threshold; no committee dispute opens meanwhile); a removal that would
    /// leave 0 < n < `committeeThreshold` reverts with `OptimisticVerifierThresholdAboveCommittee`.
    /// @param member The account.
    /// @param isMember Whether it should be a member.
    function setCommitteeMember(address member, bool isMember) external;

    /// @notice Sets a model's ZK verifier, used by disputes opened from now on. Governance only.
    /// @param modelId The model.
    /// @param proofVerifier The verifier (zero: committee).
    function setProofVerifier(uint256 modelId, address proofVerifier) external;

    /// @notice Sets the governance parameters. Governance only. Reverts with
    /// `OptimisticVerifierThresholdAboveCommittee` when a committee is appointed (n > 0) and `committeeThreshold`
    /// exceeds it.
    /// @param parameters The new parameters.
    function setParameters(Parameters calldata parameters) external;

    /// @notice Reads a task.
    /// @param taskId The task; reverts when unknown.
    /// @return The task as stored.
    function getTask(uint256 taskId) external view returns (Task memory);

    /// @notice Whether a committee member voted on a task's dispute.
    /// @param taskId The task.
    /// @param member The member.
    /// @return True once voted.
    function hasVoted(uint256 taskId, address member) external view returns (bool);

    /// @notice Whether an account is a committee member.
    /// @param account The account.
    /// @return True when a member.
    function isCommitteeMember(address account) external view returns (bool);

    /// @notice The number of committee members (n).
    /// @return The count.
    function committeeSize() external view returns (uint256);

    /// @notice A model's ZK verifier.
    /// @param modelId The model.
    /// @return The verifier (zero: committee).
    function proofVerifier(uint256 modelId) external view returns (address);

    /// @notice Funds credited to an account and not yet withdrawn.
    /// @param account The account.
    /// @param token The token.
    /// @return The amount.
    function owed(address account, address token) external view returns (uint256);

    /// @notice The number of tasks ever created (also the highest id).
    /// @return The count.
    function taskCount() external view returns (uint256);

    /// @notice The current governance parameters.
    /// @return The parameters.
    function parameters() external view returns (Parameters memory);

    /// @notice The share of a challenger's bond a Void dispute costs it, credited to the provider.
    /// @return The share in basis points (1,000 = 10 %).
    function VOID_PENALTY_BPS() external view returns (uint256);
}
