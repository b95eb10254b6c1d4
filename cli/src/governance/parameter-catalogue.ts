import type { DeployedContractName } from "@tributary/contracts/deployments";
import { connectTributaryToken } from "@tributary/contracts/typed";
import { tokenInfo } from "../chain/spend.js";
import {
  keyedParam,
  namedFields,
  type Param,
  type ParamContext,
  type StructGroup,
  scalarParam,
  structParams,
} from "./param-kinds.js";
import {
  ADDRESS,
  ADDRESS_KEY,
  BOOL,
  BPS,
  count,
  duration,
  MEASUREMENT_KEY,
  MODEL_ID_KEY,
  PERCENT,
  RECIPIENT_KEY,
  TEE_KIND_KEY,
  TEE_KINDS,
  TOKEN_KEY,
  TOKENS,
} from "./param-values.js";

const contract = <N extends DeployedContractName>(context: ParamContext, name: N) => context.chain.contract(name);

const JOBS_FIELDS = ["protocolFeeBps", "claimPeriod", "staleJobTimeout"] as const;
const jobsParameters: StructGroup<(typeof JOBS_FIELDS)[number]> = {
  contract: "TrainingJobs",
  setter: "setParameters",
  read: async (c) => namedFields(await (await contract(c, "TrainingJobs")).parameters(), JOBS_FIELDS, "TrainingJobs"),
  write: async (c, value) => (await contract(c, "TrainingJobs")).setParameters.populateTransaction(value),
};

const MODELS_FIELDS = [
  "minModelStake",
  "protocolFeeBps",
  "providerShareBps",
  "researcherShareBps",
  "contributorShareBps",
] as const;
const modelsParameters: StructGroup<(typeof MODELS_FIELDS)[number]> = {
  contract: "ModelRegistry",
  setter: "setParameters",
  read: async (c) =>
    namedFields(await (await contract(c, "ModelRegistry")).parameters(), MODELS_FIELDS, "ModelRegistry"),
  write: async (c, value) => (await contract(c, "ModelRegistry")).setParameters.populateTransaction(value),
};

const VERIFIER_FIELDS = [
  "disputeWindow",
  "resolutionPeriod",
  "responseTimeout",
  "committeeThreshold",
  "challengerBond",
  "providerSlashAmount",
  "minCommitteeStake",
] as const;
const verifierParameters: StructGroup<(typeof VERIFIER_FIELDS)[number]> = {
  contract: "OptimisticVerifier",
  setter: "setParameters",
  read: async (c) =>
    namedFields(await (await contract(c, "OptimisticVerifier")).parameters(), VERIFIER_FIELDS, "OptimisticVerifier"),
  write: async (c, value) => (await contract(c, "OptimisticVerifier")).setParameters.populateTransaction(value),
};

const SHARES = "shares of a licence price after the fee; the three must sum to 10000";

/**
 * Every parameter governance owns, by the name `gov propose --set NAME=VALUE` takes: the contract and function a
 * proposal calls, how the value is typed, and how its current value is read. The timelock holds
 * `DEFAULT_ADMIN_ROLE` on each contract (see `deploySystem`); the governor's and timelock's own settings accept
 * calls from the timelock only.
 */
export const PARAMETER_CATALOGUE: readonly Param[] = [
  ...structParams("trainingJobs", jobsParameters, {
    protocolFeeBps: { type: BPS, description: "fee on payouts of jobs created from now on (at most 1000)" },
    claimPeriod: { type: duration(40), description: "how long contributors may claim after finalisation (1d..365d)" },
    staleJobTimeout: { type: duration(40), description: "inactivity after which a researcher may cancel (1d..365d)" },
  }),
  ...structParams("modelRegistry", modelsParameters, {
    minModelStake: { type: TOKENS, description: "the least stake a registered model must lock" },
    protocolFeeBps: { type: BPS, description: "fee on licence sales (at most 1000)" },
    providerShareBps: { type: BPS, description: `provider's share; ${SHARES}` },
    researcherShareBps: { type: BPS, description: `researcher's share; ${SHARES}` },
    contributorShareBps: { type: BPS, description: `contributors' share; ${SHARES}` },
  }),
  ...structParams("optimisticVerifier", verifierParameters, {
    disputeWindow: { type: duration(40), description: "time to dispute a result (1min..30d)" },
    resolutionPeriod: { type: duration(40), description: "time to resolve a dispute by proof or votes (1min..30d)" },
    responseTimeout: { type: duration(40), description: "time a provider has to respond (1min..30d)" },
    committeeThreshold: { type: count(16), description: "votes on one side that resolve a committee dispute (>0)" },
    challengerBond: { type: TOKENS, description: "the bond a dispute posts (>0)" },
    providerSlashAmount: { type: TOKENS, description: "stake taken from a provider proven wrong (>0)" },
    minCommitteeStake: { type: TOKENS, description: "stake a committee member needs to vote" },
  }),
  keyedParam({
    name: "optimisticVerifier.committeeMember",
    contract: "OptimisticVerifier",
    setter: "setCommitteeMember",
    type: BOOL,
    keys: [ADDRESS_KEY],
    description: "whether an account is on the re-execution committee",
    read: async (c, [member]) => (await contract(c, "OptimisticVerifier")).isCommitteeMember(member),
    write: async (c, [member], isMember) =>
      (await contract(c, "OptimisticVerifier")).setCommitteeMember.populateTransaction(member, isMember),
  }),
  keyedParam({
    name: "optimisticVerifier.proofVerifier",
    contract: "OptimisticVerifier",
    setter: "setProofVerifier",
    type: ADDRESS,
    keys: [MODEL_ID_KEY],
    description: "a model's ZK verifier for disputes opened from now on (0x000…0: the committee)",
    read: async (c, [modelId]) =>
      (await (await contract(c, "OptimisticVerifier")).proofVerifier(modelId)).toLowerCase(),
    write: async (c, [modelId], verifier) =>
      (await contract(c, "OptimisticVerifier")).setProofVerifier.populateTransaction(modelId, verifier),
  }),
  scalarParam({
    name: "staking.unbondingDelay",
    contract: "Staking",
    setter: "setUnbondingDelay",
    type: duration(256),
    description: "delay before unbonded stake is withdrawable (at most 90d)",
    read: async (c) => (await contract(c, "Staking")).unbondingDelay(),
    write: async (c, delay) => (await contract(c, "Staking")).setUnbondingDelay.populateTransaction(delay),
  }),
  scalarParam({
    name: "staking.winnerShareBps",
    contract: "Staking",
    setter: "setWinnerShare",
    type: BPS,
    description: "a dispute winner's share of a slash (the treasury gets the rest)",
    read: async (c) => (await contract(c, "Staking")).winnerShareBps(),
    write: async (c, share) => (await contract(c, "Staking")).setWinnerShare.populateTransaction(share),
  }),
  scalarParam({
    name: "treasury.burnShareBps",
    contract: "Treasury",
    setter: "setBurnShare",
    type: BPS,
    description: "share of TRIB fees burned on arrival",
    read: async (c) => (await contract(c, "Treasury")).burnShareBps(),
    write: async (c, share) => (await contract(c, "Treasury")).setBurnShare.populateTransaction(share),
  }),
  keyedParam({
    name: "treasury.withdraw",
    contract: "Treasury",
    setter: "withdraw",
    type: TOKENS,
    keys: [TOKEN_KEY, RECIPIENT_KEY],
    description: "send an amount of TOKEN the treasury holds to TO (in TOKEN's units)",
    valueContext: async (c, [token]) => ({ token: await tokenInfo(token, c.chain.provider) }),
    read: async (c, [token]) =>
      connectTributaryToken(token, c.chain.provider).balanceOf(await c.chain.address("Treasury")),
    showCurrent: (held, values) => `${TOKENS.show(held, values)} held by the treasury`,
    write: async (c, [token, to], amount) =>
      (await contract(c, "Treasury")).withdraw.populateTransaction(token, to, amount),
  }),
  scalarParam({
    name: "paymentChannels.challengePeriod",
    contract: "PaymentChannels",
    setter: "setChallengePeriod",
    type: duration(256),
    description: "how long a provider may redeem after a channel starts closing (1min..30d)",
    read: async (c) => (await contract(c, "PaymentChannels")).challengePeriod(),
    write: async (c, period) => (await contract(c, "PaymentChannels")).setChallengePeriod.populateTransaction(period),
  }),
  keyedParam({
    name: "attestationRegistry.measurementAllowed",
    contract: "AttestationRegistry",
    setter: "setMeasurementAllowed",
    type: BOOL,
    keys: [TEE_KIND_KEY, MEASUREMENT_KEY],
    description: `whether an enclave MEASUREMENT (bytes32) of a KIND (${TEE_KINDS.join(", ")}) is allowlisted; removing it revokes its keys`,
    read: async (c, [kind, measurement]) =>
      (await contract(c, "AttestationRegistry")).isMeasurementAllowed(kind, measurement),
    write: async (c, [kind, measurement], allowed) =>
      (await contract(c, "AttestationRegistry")).setMeasurementAllowed.populateTransaction(kind, measurement, allowed),
  }),
  keyedParam({
    name: "attestationRegistry.registrar",
    contract: "AttestationRegistry",
    setter: "grantRole/revokeRole(REGISTRAR_ROLE)",
    type: BOOL,
    keys: [ADDRESS_KEY],
    description: "whether an account (a coordinator's sender) may record attested enclave keys (REGISTRAR_ROLE)",
    read: async (c, [account]) => {
      const registry = await contract(c, "AttestationRegistry");
      return registry.hasRole(await registry.REGISTRAR_ROLE(), account);
    },
    write: async (c, [account], registrar) => {
      const registry = await contract(c, "AttestationRegistry");
      const role = await registry.REGISTRAR_ROLE();
      return registrar
        ? registry.grantRole.populateTransaction(role, account)
        : registry.revokeRole.populateTransaction(role, account);
    },
  }),
  scalarParam({
    name: "governor.votingDelay",
    contract: "TributaryGovernor",
    setter: "setVotingDelay",
    type: duration(48),
    description: "time between a proposal and the start of its vote",
    read: async (c) => (await contract(c, "TributaryGovernor")).votingDelay(),
    write: async (c, delay) => (await contract(c, "TributaryGovernor")).setVotingDelay.populateTransaction(delay),
  }),
  scalarParam({
    name: "governor.votingPeriod",
    contract: "TributaryGovernor",
    setter: "setVotingPeriod",
    type: duration(32),
    description: "how long a vote lasts (>0)",
    read: async (c) => (await contract(c, "TributaryGovernor")).votingPeriod(),
    write: async (c, period) => (await contract(c, "TributaryGovernor")).setVotingPeriod.populateTransaction(period),
  }),
  scalarParam({
    name: "governor.proposalThreshold",
    contract: "TributaryGovernor",
    setter: "setProposalThreshold",
    type: TOKENS,
    description: "votes an account needs to propose",
    read: async (c) => (await contract(c, "TributaryGovernor")).proposalThreshold(),
    write: async (c, votes) => (await contract(c, "TributaryGovernor")).setProposalThreshold.populateTransaction(votes),
  }),
  scalarParam({
    name: "governor.quorumPercent",
    contract: "TributaryGovernor",
    setter: "updateQuorumNumerator",
    type: PERCENT,
    description: "quorum (for + abstain votes) as a percentage of the supply at a proposal's snapshot",
    read: async (c) => (await contract(c, "TributaryGovernor"))["quorumNumerator()"](),
    write: async (c, percent) =>
      (await contract(c, "TributaryGovernor")).updateQuorumNumerator.populateTransaction(percent),
  }),
  scalarParam({
    name: "timelock.minDelay",
    contract: "TributaryTimelock",
    setter: "updateDelay",
    type: duration(256),
    description: "least time between queueing a passed proposal and executing it",
    read: async (c) => (await contract(c, "TributaryTimelock")).getMinDelay(),
    write: async (c, delay) => (await contract(c, "TributaryTimelock")).updateDelay.populateTransaction(delay),
  }),
];
