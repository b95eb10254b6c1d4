// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IModelRegistry
/// @notice The registry of served models (the seed's registry: provider, model hash, endpoint, price per token,
/// stake, reputation, active) and of licence sales. Registering a model locks at least the governance minimum of the
/// provider's stake in `Staking`. The registry keeps each model's locked stake exact: a lost dispute slashes the
/// model's own locked stake first (through `slashModel`), a model whose locked stake falls below the governance
/// minimum is deactivated at once (it takes no new tasks and no licence sales), and deactivation unlocks only what
/// is still locked for that model. A model trained by a job references it: its licence revenue is then split between
/// the provider, the job's researcher and the job's contributors (pro rata to their amounts in the job's payout tree,
/// claimable with the same Merkle proof), after the protocol fee.
/// @dev Model ids are sequential, starting at 1. A provider may reference a job only when the job is finalised and
/// its researcher registers the model or has approved the provider for that job. Without a job, the researcher's
/// and the contributors' shares go to the provider. Provider and researcher revenue is credited and withdrawn (pull
/// payments). Invariant: for every provider, the sum of its models' `stake` equals the stake this registry holds
/// locked for it in `Staking`, which never exceeds its active stake.
interface IModelRegistry {
    /// @notice A model as stored.
    /// @param provider The inference provider serving it.
    /// @param active False once deactivated.
    /// @param paymentToken The ERC-20 its licences are sold in.
    /// @param jobId The training job that produced it (zero when none).
    /// @param modelHash The hash of the weights.
    /// @param pricePerToken The inference price per token, in `paymentToken` units (channel payments).
    /// @param licensePrice The price of a licence (zero: free).
    /// @param stake The stake still locked for it in `Staking`: the stake registered, less what slashes took from it;
    /// zero once deactivated.
    /// @param reputationScore Raised by verified correct results, lowered by lost disputes.
    /// @param modelURI Where the weights live (an IPFS CID).
    /// @param endpoint Where the model is served.
    struct Model {
        address provider;
        bool active;
        address paymentToken;
        uint256 jobId;
        bytes32 modelHash;
        uint256 pricePerToken;
        uint256 licensePrice;
        uint256 stake;
        uint256 reputationScore;
        string modelURI;
        string endpoint;
    }

    /// @notice What a provider gives to register a model.
    /// @param modelHash The hash of the weights; non-zero.
    /// @param modelURI Where the weights live (an IPFS CID).
    /// @param endpoint Where the model is served.
    /// @param pricePerToken The inference price per token.
    /// @param licensePrice The price of a licence.
    /// @param paymentToken The ERC-20 licences are sold in; non-zero.
    /// @param jobId The training job that produced the model, or zero.
    /// @param stake The stake to lock; at least `parameters().minModelStake`.
    struct ModelParams {
        bytes32 modelHash;
        string modelURI;
        string endpoint;
        uint256 pricePerToken;
        uint256 licensePrice;
        address paymentToken;
        uint256 jobId;
        uint256 stake;
    }

    /// @notice Governance parameters. The three shares split what remains of a licence price after the fee.
    /// @param minModelStake The least stake a model must lock.
    /// @param protocolFeeBps The fee on licence sales in basis points (at most `MAX_FEE_BPS`).
    /// @param providerShareBps The provider's share in basis points.
    /// @param researcherShareBps The researcher's share in basis points.
    /// @param contributorShareBps The contributors' share in basis points.
    struct Parameters {
        uint256 minModelStake;
        uint16 protocolFeeBps;
        uint16 providerShareBps;
        uint16 researcherShareBps;
        uint16 contributorShareBps;
    }

    /// @notice No model has this id.
    /// @param modelId The unknown id.
    error ModelRegistryUnknownModel(uint256 modelId);

    /// @notice The caller is not the model's provider.
    /// @param modelId The model.
    /// @param caller The caller.
    error ModelRegistryNotProvider(uint256 modelId, address caller);

    /// @notice The model has been deactivated.
    /// @param modelId The model.
    error ModelRegistryInactive(uint256 modelId);

    /// @notice The model hash is zero.
    error ModelRegistryInvalidModelHash();

    /// @notice The payment token is the zero address.
    error ModelRegistryInvalidPaymentToken();

    /// @notice The stake to lock is below the governance minimum.
    /// @param stake The stake offered.
    /// @param minimum The minimum.
    error ModelRegistryInsufficientStake(uint256 stake, uint256 minimum);

    /// @notice The referenced job is not finalised.
    /// @param jobId The job.
    error ModelRegistryJobNotFinalized(uint256 jobId);

    /// @notice The provider is neither the job's researcher nor approved by it.
    /// @param jobId The job.
    /// @param provider The provider.
    error ModelRegistryProviderNotApproved(uint256 jobId, address provider);

    /// @notice The caller is not the job's researcher.
    /// @param jobId The job.
    /// @param caller The caller.
    error ModelRegistryNotResearcher(uint256 jobId, address caller);

    /// @notice The licence price is above the most the buyer agreed to pay (the price changed before the purchase).
    /// @param modelId The model.
    /// @param price The current licence price.
    /// @param maxPrice The most the buyer agreed to pay.
    error ModelRegistryPriceAboveMax(uint256 modelId, uint256 price, uint256 maxPrice);

    /// @notice The buyer already holds a licence for the model.
    /// @param modelId The model.
    /// @param buyer The buyer.
    error ModelRegistryAlreadyLicensed(uint256 modelId, address buyer);

    /// @notice The token arrived with a different amount than requested (fee-on-transfer tokens are unsupported).
    /// @param token The token.
    /// @param expected The amount requested.
    /// @param received The amount that arrived.
    error ModelRegistryTransferMismatch(address token, uint256 expected, uint256 received);

    /// @notice The account has no revenue to withdraw in this token.
    /// @param account The account.
    /// @param token The token.
    error ModelRegistryNothingToWithdraw(address account, address token);

    /// @notice The model references no job, so it has no contributors.
    /// @param modelId The model.
    error ModelRegistryNoJob(uint256 modelId);

    /// @notice The proof does not show `(trainer, amount)` in the job's payout tree.
    /// @param modelId The model.
    /// @param trainer The contributor.
    /// @param amount The payout amount given.
    error ModelRegistryInvalidProof(uint256 modelId, address trainer, uint256 amount);

    /// @notice The contributor has nothing new to claim.
    /// @param modelId The model.
    /// @param trainer The contributor.
    error ModelRegistryNothingToClaim(uint256 modelId, address trainer);

    /// @notice Governance parameters out of range (fee above `MAX_FEE_BPS` or shares not summing to 10,000).
    /// @param parameters The rejected parameters.
    error ModelRegistryInvalidParameters(Parameters parameters);

    /// @notice A model was registered and its stake locked.
    /// @param modelId The new id.
    /// @param provider The provider.
    /// @param jobId The job that produced it (zero when none).
    /// @param modelHash The weights' hash.
    /// @param modelURI Where the weights live.
    /// @param endpoint Where it is served.
    /// @param pricePerToken The inference price per token.
    /// @param licensePrice The licence price.
    /// @param paymentToken The licences' token.
    /// @param stake The stake locked.
    event ModelRegistered(
        uint256 indexed modelId,
        address indexed provider,
        uint256 indexed jobId,
        bytes32 modelHash,
        string modelURI,
        string endpoint,
        uint256 pricePerToken,
        uint256 licensePrice,
        address paymentToken,
        uint256 stake
    );

    /// @notice A model's offer changed; every field carries its new value.
    /// @param modelId The model.
    /// @param endpoint Where it is served.
    /// @param pricePerToken The inference price per token.
    /// @param licensePrice The licence price.
    event ModelUpdated(uint256 indexed modelId, string endpoint, uint256 pricePerToken, uint256 licensePrice);

    /// @notice A model was deactivated (by its provider, or because slashes took its stake below the minimum) and
    /// the stake still locked for it unlocked.
    /// @param modelId The model.
    /// @param stakeUnlocked The stake unlocked.
    event ModelDeactivated(uint256 indexed modelId, uint256 stakeUnlocked);

    /// @notice The verifier slashed the provider of a model for a lost dispute.
    /// @param modelId The model.
    /// @param fromModelStake The part of the slash taken from the model's locked stake.
    /// @param slashed The whole amount slashed (the model's stake first, then the provider's free and unbonding
    /// stake).
    /// @param stakeLeft The stake still locked for the model afterwards (before any deactivation).
    event ModelSlashed(uint256 indexed modelId, uint256 fromModelStake, uint256 slashed, uint256 stakeLeft);

    /// @notice A researcher approved or revoked a provider for its job's models.
    /// @param jobId The job.
    /// @param provider The provider.
    /// @param approved Whether it is approved.
    event ProviderApprovalUpdated(uint256 indexed jobId, address indexed provider, bool approved);

    /// @notice A licence was sold.
    /// @param modelId The model.
    /// @param buyer The licensee.
    /// @param price The price paid.
    /// @param fee The protocol fee sent to the treasury.
    /// @param providerShare The provider's credit.
    /// @param researcherShare The researcher's credit.
    /// @param contributorShare The amount added to the contributors' pool.
    event LicensePurchased(
        uint256 indexed modelId,
        address indexed buyer,
        uint256 price,
        uint256 fee,
        uint256 providerShare,
        uint256 researcherShare,
        uint256 contributorShare
    );

    /// @notice Credited revenue was withdrawn.
    /// @param account The account.
    /// @param token The token.
    /// @param amount The amount sent.
    event RevenueWithdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice A contributor was paid its share of a model's contributor pool.
    /// @param modelId The model.
    /// @param trainer The contributor.
    /// @param amount The amount sent.
    event ContributorRevenueClaimed(uint256 indexed modelId, address indexed trainer, uint256 amount);

    /// @notice The verifier reported a verified result for the model.
    /// @param modelId The model.
    /// @param correct Whether the result was correct.
    /// @param reputationScore The new score.
    event ReputationUpdated(uint256 indexed modelId, bool correct, uint256 reputationScore);

    /// @notice Governance changed the parameters.
    /// @param parameters The new parameters.
    event ParametersUpdated(Parameters parameters);

    /// @notice Registers a model served by the caller and locks `params.stake` of the caller's stake.
    /// @param params The model's description.
    /// @return modelId The new model's id.
    function registerModel(ModelParams calldata params) external returns (uint256 modelId);

    /// @notice Changes an active model's offer. Provider only.
    /// @param modelId The model.
    /// @param endpoint Where it is served.
    /// @param pricePerToken The inference price per token.
    /// @param licensePrice The licence price.
    function updateModel(
        uint256 modelId,
        string calldata endpoint,
        uint256 pricePerToken,
        uint256 licensePrice
    ) external;

    /// @notice Deactivates a model for good and unlocks the stake still locked for it (`getModel(modelId).stake`,
    /// which slashes may have reduced); that stake stays slashable while it unbonds. Provider only.
    /// @param modelId The model.
    function deactivateModel(uint256 modelId) external;

    /// @notice Approves or revokes a provider to register models that reference a job. The job's researcher only.
    /// @param jobId The job.
    /// @param provider The provider.
    /// @param approved Whether it is approved.
    function setProviderApproval(uint256 jobId, address provider, bool approved) external;

    /// @notice Buys a licence to an active model for the caller, paying `licensePrice` in its payment token
    /// (approve first). Reverts with `ModelRegistryPriceAboveMax` when the price is above `maxPrice`, so a price
    /// raised before the purchase is mined (front-running) charges the buyer nothing.
    /// @param modelId The model.
    /// @param maxPrice The most the buyer agrees to pay (the price it saw).
    function purchaseLicense(uint256 modelId, uint256 maxPrice) external;

    /// @notice Sends the caller its credited revenue in `token`.
    /// @param token The token.
    function withdrawRevenue(address token) external;

    /// @notice Pays `trainer` its share of a model's contributor pool not yet paid: `pool * amount / payoutTotal`
    /// minus what it already received, where `(trainer, amount)` is its leaf in the job's payout tree. The total paid
    /// to contributors never exceeds the pool, even if the job's tree sums to more than its payout total.
    /// @param modelId The model.
    /// @param trainer The contributor.
    /// @param amount The amount in its payout leaf.
    /// @param proof The Merkle proof of the leaf against the job's payout root.
    function claimContributorRevenue(
        uint256 modelId,
        address trainer,
        uint256 amount,
        bytes32[] calldata proof
    ) external;

    /// @notice Records the outcome of a verified result: correct raises the score by one, wrong lowers it by
    /// `REPUTATION_PENALTY` (not below zero). Only `VERIFIER_ROLE`.
    /// @param modelId The model.
    /// @param correct Whether the result was correct.
    function recordOutcome(uint256 modelId, bool correct) external;

    /// @notice Slashes the provider of a model for a lost dispute: takes up to `amount`, first from the stake locked
    /// for this model (unlocked and slashed), then from the provider's free and unbonding stake; the stake other
    /// models locked is never touched. A model left with a locked stake below `parameters().minModelStake` (or
    /// zero) is deactivated and the rest of its stake unlocked. Only `VERIFIER_ROLE`.
    /// @param modelId The model the dispute was lost on.
    /// @param amount The amount to take.
    /// @param winner The dispute's winner, paid the winner's share by `Staking`.
    /// @return slashed The amount actually taken.
    function slashModel(uint256 modelId, uint256 amount, address winner) external returns (uint256 slashed);

    /// @notice Sets the governance parameters. Governance only.
    /// @param parameters The new parameters.
    function setParameters(Parameters calldata parameters) external;

    /// @notice Reads a model.
    /// @param modelId The model; reverts when unknown.
    /// @return The model as stored.
    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice Whether `account` holds a licence for a model.
    /// @param modelId The model.
    /// @param account The account.
    /// @return True when licensed.
    function hasLicense(uint256 modelId, address account) external view returns (bool);

    /// @notice Whether the researcher of a job approved a provider.
    /// @param jobId The job.
    /// @param provider The provider.
    /// @return True when approved.
    function isProviderApproved(uint256 jobId, address provider) external view returns (bool);

    /// @notice Revenue credited to an account and not yet withdrawn.
    /// @param account The account.
    /// @param token The token.
    /// @return The amount.
    function pendingRevenue(address account, address token) external view returns (uint256);

    /// @notice The total ever added to a model's contributor pool.
    /// @param modelId The model.
    /// @return The amount.
    function contributorPool(uint256 modelId) external view returns (uint256);

    /// @notice What a contributor has received from a model's contributor pool.
    /// @param modelId The model.
    /// @param trainer The contributor.
    /// @return The amount.
    function contributorClaimed(uint256 modelId, address trainer) external view returns (uint256);

    /// @notice The number of models ever registered (also the highest id).
    /// @return The count.
    function modelCount() external view returns (uint256);

    /// @notice The current governance parameters.
    /// @return The parameters.
    function parameters() external view returns (Parameters memory);

    /// @notice The role allowed to record verification outcomes and slash models.
    /// @return The role identifier, `keccak256("VERIFIER_ROLE")`.
    function VERIFIER_ROLE() external view returns (bytes32);

    /// @notice The reputation lost per wrong result.
    /// @return The penalty.
    function REPUTATION_PENALTY() external view returns (uint256);

    /// @notice The highest protocol fee governance may set.
    /// @return The fee in basis points (1,000 = 10 %).
    function MAX_FEE_BPS() external view returns (uint256);
}
