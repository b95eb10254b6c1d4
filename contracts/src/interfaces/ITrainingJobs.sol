// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITrainingJobs
/// @notice Federated training jobs: a researcher escrows a reward; the job's coordinator anchors every round once
/// and in order, then finalises the job with the Merkle root of the payouts; each contributor claims its payout
/// exactly once with a proof; the protocol fee goes to the treasury; the researcher reclaims what is not paid out.
/// @dev Job ids are sequential, starting at 1; rounds are numbered from 1 to `rounds`. Both Merkle trees use
/// OpenZeppelin's standard leaf encoding `keccak256(bytes.concat(keccak256(abi.encode(...))))`: a round leaf is
/// `(address trainer, bytes32 updateHash, uint256 numExamples, uint256 score)` and a payout leaf is
/// `(address trainer, uint256 amount)`. Anchoring stores two words per round, so its gas does not depend on the
/// number of trainers. Escrow conservation: once a job is over, `claimed + refunded + fee == escrow`.
/// Cancellation: the researcher may cancel an Open job until its coordinator accepts it (`acceptJob`); once the job
/// is accepted or a round is anchored, only after the job has gone `staleJobTimeout` without activity. The timeout
/// is fixed per job when it is created, so a later governance change never reaches a running job.
interface ITrainingJobs {
    /// @notice Where a job stands.
    enum JobStatus {
        None,
        Open,
        Running,
        Finalized,
        Cancelled
    }

    /// @notice What a researcher gives to create a job.
    /// @param modelSpecHash Hash of the off-chain job specification (model, strategy, hyper-parameters, DP target).
    /// @param datasetIds The enrolled, active datasets the job trains on; at least one.
    /// @param rounds The number of federated rounds; at least one.
    /// @param reward The amount escrowed, in `paymentToken` units; positive and below 2^128.
    /// @param paymentToken The ERC-20 the reward is paid in.
    /// @param coordinator The only account allowed to anchor rounds and finalise the job.
    struct JobParams {
        bytes32 modelSpecHash;
        uint256[] datasetIds;
        uint16 rounds;
        uint256 reward;
        address paymentToken;
        address coordinator;
    }

    /// @notice A job as stored.
    /// @param coordinator The account that anchors rounds and finalises.
    /// @param rounds The number of rounds planned.
    /// @param roundsAnchored The number of rounds anchored so far.
    /// @param status Where the job stands.
    /// @param lastActivityAt When the job was created, accepted or its last round anchored (unix seconds).
    /// @param accepted Whether the coordinator accepted the job (`acceptJob`).
    /// @param paymentToken The reward's token.
    /// @param claimDeadline The end of the claim period (zero until finalised).
    /// @param feeBps The protocol fee rate fixed at creation, in basis points of the payout total.
    /// @param staleJobTimeout The stale timeout fixed at creation, in seconds (see `Parameters`).
    /// @param payoutRoot The payout tree's root (zero until finalised).
    /// @param payoutTotal The sum of all payout leaves.
    /// @param claimed The sum claimed so far.
    /// @param researcher The account that created the job and receives refunds.
    /// @param escrow The amount escrowed.
    /// @param fee The protocol fee taken at finalisation.
    /// @param refunded The amount returned to the researcher so far.
    /// @param modelSpecHash Hash of the job specification.
    struct Job {
        address coordinator;
        uint16 rounds;
        uint16 roundsAnchored;
        JobStatus status;
        uint40 lastActivityAt;
        bool accepted;
        address paymentToken;
        uint40 claimDeadline;
        uint16 feeBps;
        uint40 staleJobTimeout;
        bytes32 payoutRoot;
        uint128 payoutTotal;
        uint128 claimed;
        address researcher;
        uint128 escrow;
        uint128 fee;
        uint128 refunded;
        bytes32 modelSpecHash;
    }

    /// @notice What one anchored round records.
    /// @param updatesRoot The Merkle root over the round's `(trainer, updateHash, numExamples, score)` leaves.
    /// @param modelHash The hash of the global model the round produced.
    struct RoundAnchor {
        bytes32 updatesRoot;
        bytes32 modelHash;
    }

    /// @notice Governance parameters.
    /// @param protocolFeeBps The fee on payouts for jobs created from now on, in basis points (at most
    /// `MAX_FEE_BPS`).
    /// @param claimPeriod How long contributors may claim after finalisation, in seconds (1 day to 365 days).
    /// @param staleJobTimeout How long an accepted or running job may go without activity before the researcher may
    /// cancel it, in seconds (1 day to 365 days); copied into each job at creation, so it applies to jobs created from
    /// now on.
    struct Parameters {
        uint16 protocolFeeBps;
        uint40 claimPeriod;
        uint40 staleJobTimeout;
    }

    /// @notice No job has this id.
    /// @param jobId The unknown id.
    error TrainingJobsUnknownJob(uint256 jobId);

    /// @notice The caller is not the job's researcher.
    /// @param jobId The job.
    /// @param caller The caller.
    error TrainingJobsNotResearcher(uint256 jobId, address caller);

    /// @notice The caller is not the job's coordinator.
    /// @param jobId The job.
    /// @param caller The caller.
    error TrainingJobsNotCoordinator(uint256 jobId, address caller);

    /// @notice The job is not in a status that allows this action.
    /// @param jobId The job.
    /// @param status Its current status.
    error TrainingJobsInvalidStatus(uint256 jobId, JobStatus status);

    /// @notice The number of rounds is zero.
    error TrainingJobsInvalidRounds();

    /// @notice The job names no dataset.
    error TrainingJobsNoDatasets();

    /// @notice A dataset does not exist or is inactive.
    /// @param datasetId The dataset.
    error TrainingJobsInactiveDataset(uint256 datasetId);

    /// @notice The reward is zero or does not fit in 128 bits.
    /// @param reward The rejected reward.
    error TrainingJobsInvalidReward(uint256 reward);

    /// @notice The coordinator is the zero address.
    error TrainingJobsInvalidCoordinator();

    /// @notice The payment token is the zero address.
    error TrainingJobsInvalidPaymentToken();

    /// @notice The token arrived with a different amount than requested (fee-on-transfer tokens are unsupported).
    /// @param token The token.
    /// @param expected The amount requested.
    /// @param received The amount that arrived.
    error TrainingJobsTransferMismatch(address token, uint256 expected, uint256 received);

    /// @notice The round is not the next one to anchor (anchoring is once per round, in order).
    /// @param jobId The job.
    /// @param round The round given.
    /// @param expected The next round to anchor.
    error TrainingJobsRoundOutOfOrder(uint256 jobId, uint256 round, uint256 expected);

    /// @notice Every planned round has been anchored.
    /// @param jobId The job.
    /// @param rounds The number of rounds planned.
    error TrainingJobsAllRoundsAnchored(uint256 jobId, uint256 rounds);

    /// @notice A round's updates root or model hash is zero.
    error TrainingJobsInvalidAnchor();

    /// @notice The payout root or the payout total is zero.
    error TrainingJobsInvalidPayout();

    /// @notice The payout plus its fee exceeds the escrow.
    /// @param jobId The job.
    /// @param payoutTotal The payout total given.
    /// @param fee The fee it implies.
    /// @param escrow The escrow.
    error TrainingJobsPayoutExceedsEscrow(uint256 jobId, uint256 payoutTotal, uint256 fee, uint256 escrow);

    /// @notice The contributor already claimed.
    /// @param jobId The job.
    /// @param trainer The contributor.
    error TrainingJobsAlreadyClaimed(uint256 jobId, address trainer);

    /// @notice The proof does not show `(trainer, amount)` in the payout tree.
    /// @param jobId The job.
    /// @param trainer The contributor.
    /// @param amount The amount claimed.
    error TrainingJobsInvalidProof(uint256 jobId, address trainer, uint256 amount);

    /// @notice The claim would take the total claimed past the payout total.
    /// @param jobId The job.
    /// @param claimed The total claimed including this claim.
    /// @param payoutTotal The payout total.
    error TrainingJobsClaimExceedsPayout(uint256 jobId, uint256 claimed, uint256 payoutTotal);

    /// @notice The claim period is over.
    /// @param jobId The job.
    /// @param claimDeadline When it ended.
    error TrainingJobsClaimPeriodOver(uint256 jobId, uint256 claimDeadline);

    /// @notice There is nothing the researcher can reclaim now.
    /// @param jobId The job.
    error TrainingJobsNothingToReclaim(uint256 jobId);

    /// @notice The job cannot be cancelled now: it was accepted or a round was anchored, and it is not stale yet.
    /// @param jobId The job.
    /// @param staleAt When the job becomes cancellable (unix seconds).
    error TrainingJobsNotCancellable(uint256 jobId, uint256 staleAt);

    /// @notice The coordinator already accepted the job.
    /// @param jobId The job.
    error TrainingJobsAlreadyAccepted(uint256 jobId);

    /// @notice Governance parameters out of range.
    /// @param parameters The rejected parameters.
    error TrainingJobsInvalidParameters(Parameters parameters);

    /// @notice A job was created and its reward escrowed.
    /// @param jobId The new id.
    /// @param researcher The researcher.
    /// @param coordinator The coordinator.
    /// @param paymentToken The reward's token.
    /// @param modelSpecHash Hash of the job specification.
    /// @param datasetIds The datasets.
    /// @param rounds The number of rounds.
    /// @param reward The amount escrowed.
    /// @param feeBps The protocol fee rate that applies to the job.
    /// @param staleJobTimeout The stale timeout that applies to the job, in seconds.
    event JobCreated(
        uint256 indexed jobId,
        address indexed researcher,
        address indexed coordinator,
        address paymentToken,
        bytes32 modelSpecHash,
        uint256[] datasetIds,
        uint256 rounds,
        uint256 reward,
        uint256 feeBps,
        uint256 staleJobTimeout
    );

    /// @notice The coordinator accepted a job: from now on the researcher can cancel it only once it is stale.
    /// @param jobId The job.
    /// @param coordinator The coordinator.
    /// @param staleAt When the job becomes cancellable if nothing else happens (unix seconds).
    event JobAccepted(uint256 indexed jobId, address indexed coordinator, uint256 staleAt);

    /// @notice A round was anchored.
    /// @param jobId The job.
    /// @param round The round (from 1).
    /// @param updatesRoot The Merkle root over the round's update leaves.
    /// @param modelHash The hash of the round's global model.
    event RoundAnchored(uint256 indexed jobId, uint256 indexed round, bytes32 updatesRoot, bytes32 modelHash);

    /// @notice A job was finalised and its fee sent to the treasury.
    /// @param jobId The job.
    /// @param payoutRoot The payout tree's root.
    /// @param payoutTotal The sum of the payouts.
    /// @param fee The protocol fee.
    /// @param claimDeadline The end of the claim period.
    event JobFinalized(
        uint256 indexed jobId,
        bytes32 payoutRoot,
        uint256 payoutTotal,
        uint256 fee,
        uint256 claimDeadline
    );

    /// @notice A contributor's payout was paid.
    /// @param jobId The job.
    /// @param trainer The contributor.
    /// @param amount The amount paid.
    event Claimed(uint256 indexed jobId, address indexed trainer, uint256 amount);

    /// @notice The researcher took back escrow that is not paid out.
    /// @param jobId The job.
    /// @param researcher The researcher.
    /// @param amount The amount returned.
    event Reclaimed(uint256 indexed jobId, address indexed researcher, uint256 amount);

    /// @notice A job was cancelled and its escrow refunded.
    /// @param jobId The job.
    /// @param refund The amount returned to the researcher.
    event JobCancelled(uint256 indexed jobId, uint256 refund);

    /// @notice Governance changed the parameters.
    /// @param parameters The new parameters.
    event ParametersUpdated(Parameters parameters);

    /// @notice Creates a job and escrows its reward, pulled from the caller (approve first).
    /// @param params The job's parameters.
    /// @return jobId The new job's id.
    function createJob(JobParams calldata params) external returns (uint256 jobId);

    /// @notice Accepts an Open job: the coordinator commits to run it, and the researcher can no longer cancel it
    /// until it has gone the job's `staleJobTimeout` without activity (so it cannot cancel right before the first
    /// anchor, after trainers did the first round). Coordinator only, once, while the job is Open.
    /// @param jobId The job.
    function acceptJob(uint256 jobId) external;

    /// @notice Anchors round `round` of a job. Coordinator only; each round once, in order. Works whether or not the
    /// job was accepted: acceptance is not required (coordinators that do not call `acceptJob` yet keep working;
    /// until they do, the researcher may cancel an Open job at any time).
    /// @param jobId The job.
    /// @param round The round; must equal `roundsAnchored + 1` and be at most `rounds`.
    /// @param updatesRoot The Merkle root over the round's update leaves; non-zero.
    /// @param modelHash The hash of the round's global model; non-zero.
    function anchorRound(uint256 jobId, uint256 round, bytes32 updatesRoot, bytes32 modelHash) external;

    /// @notice Finalises a job after at least one anchored round, records the payout root and sends the protocol fee
    /// (`payoutTotal * feeBps / 10,000`) to the treasury. Coordinator only.
    /// @param jobId The job.
    /// @param payoutRoot The payout tree's root; non-zero.
    /// @param payoutTotal The sum of the payout leaves; non-zero, and `payoutTotal + fee` at most the escrow.
    function finalizeJob(uint256 jobId, bytes32 payoutRoot, uint256 payoutTotal) external;

    /// @notice Pays `trainer` its payout, once, before the claim deadline. Anyone may submit; the money always goes
    /// to `trainer`.
    /// @param jobId The job.
    /// @param trainer The contributor named in the leaf.
    /// @param amount The amount in the leaf.
    /// @param proof The Merkle proof of the leaf `(trainer, amount)`.
    function claim(uint256 jobId, address trainer, uint256 amount, bytes32[] calldata proof) external;

    /// @notice Returns escrow that will not be paid out to the researcher: after finalisation the part not in the
    /// payout, and after the claim deadline also what was not claimed. Researcher only.
    /// @param jobId The job.
    function reclaim(uint256 jobId) external;

    /// @notice Cancels a job and refunds its whole escrow: allowed while the job is Open and not accepted, or when an
    /// accepted or running job has seen no activity (creation, acceptance, anchor) for the job's `staleJobTimeout`.
    /// Researcher only.
    /// @param jobId The job.
    function cancelJob(uint256 jobId) external;

    /// @notice Sets the governance parameters. Governance only.
    /// @param parameters The new parameters.
    function setParameters(Parameters calldata parameters) external;

    /// @notice Reads a job.
    /// @param jobId The job; reverts when unknown.
    /// @return The job as stored.
    function getJob(uint256 jobId) external view returns (Job memory);

    /// @notice The datasets a job trains on.
    /// @param jobId The job; reverts when unknown.
    /// @return The dataset ids.
    function getJobDatasets(uint256 jobId) external view returns (uint256[] memory);

    /// @notice Reads an anchored round.
    /// @param jobId The job.
    /// @param round The round (from 1).
    /// @return The anchor (zero when not anchored).
    function getRound(uint256 jobId, uint256 round) external view returns (RoundAnchor memory);

    /// @notice Whether `trainer` has claimed its payout from a job.
    /// @param jobId The job.
    /// @param trainer The contributor.
    /// @return True once claimed.
    function isClaimed(uint256 jobId, address trainer) external view returns (bool);

    /// @notice What `reclaim` would return now.
    /// @param jobId The job.
    /// @return The amount.
    function reclaimable(uint256 jobId) external view returns (uint256);

    /// @notice The number of jobs ever created (also the highest id).
    /// @return The count.
    function jobCount() external view returns (uint256);

    /// @notice The current governance parameters.
    /// @return The parameters.
    function parameters() external view returns (Parameters memory);

    /// @notice The registry whose datasets jobs train on.
    /// @return Its address.
    function datasetRegistry() external view returns (address);

    /// @notice The treasury receiving protocol fees.
    /// @return Its address.
    function treasury() external view returns (address);

    /// @notice The highest protocol fee governance may set.
    /// @return The fee in basis points (1,000 = 10 %).
    function MAX_FEE_BPS() external view returns (uint256);
}
