import type { Wallet } from "ethers";
import type { ChainSession, DeployedContract } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { formatToken, type TokenInfo, tokenInfo } from "../chain/spend.js";
import type { DecodedCall } from "./call-decoder.js";
import type { ParamChange, ParamContext } from "./param-kinds.js";
import { findProposal, type ProposalRecord } from "./proposal-record.js";
import { formatTime, formatTimepoint, type ProposalStatus, readStatus, stateExplanation } from "./proposal-status.js";

/** What every `gov` command works with: the governor (sending from the key, if any), TRIB, the parameters' context. */
export interface Governance {
  readonly chain: ChainSession;
  readonly governor: DeployedContract<"TributaryGovernor">;
  readonly address: string;
  readonly trib: TokenInfo;
  readonly params: ParamContext;
}

export async function openGovernance(chain: ChainSession, wallet?: Wallet): Promise<Governance> {
  const governor = await chain.contract("TributaryGovernor", wallet);
  const trib = await tokenInfo(await chain.address("TributaryToken"), chain.provider);
  const address = (await governor.getAddress()).toLowerCase();
  return { chain, governor, address, trib, params: { chain, trib } };
}

/** A proposal's record (from its event) and where it stands now; `PROPOSAL_UNKNOWN` without one. */
export async function proposalWithStatus(
  gov: Governance,
  proposalId: bigint,
): Promise<{ record: ProposalRecord; status: ProposalStatus }> {
  const record = await findProposal(gov.chain, gov.governor, proposalId);
  return { record, status: await readStatus(gov.governor, gov.chain.provider, proposalId) };
}

/** The status as rows for people. */
export function statusRows(status: ProposalStatus, token: TokenInfo): string[][] {
  const show = (amount: bigint) => formatToken(amount, token);
  const { votes } = status;
  return [
    ["state", `${status.state}: ${stateExplanation(status, token)}`],
    ["votes for", show(votes.for)],
    ["votes against", show(votes.against)],
    ["votes abstain", show(votes.abstain)],
    ["quorum", `${show(status.quorum)} of for + abstain (now ${show(votes.for + votes.abstain)})`],
    ["voting opens after", formatTimepoint(status.clock, status.snapshot)],
    ["voting closes after", formatTimepoint(status.clock, status.deadline)],
    ["executable from", status.eta === 0n ? "not queued" : formatTime(status.clock, status.eta)],
  ];
}

/** The status for the JSON line (timepoints in the governor's clock mode, the eta in unix seconds). */
export function statusJson(status: ProposalStatus) {
  const { clock, proposalId: _id, ...rest } = status;
  return { ...rest, clockMode: clock.mode, clock: clock.now };
}

/** Prints decoded calls, numbered, each followed by the parameter changes it makes (when known). */
export function sayCalls(
  out: Output,
  calls: readonly DecodedCall[],
  changes: readonly (readonly ParamChange[])[] = [],
): void {
  for (const [index, call] of calls.entries()) {
    out.say(`  ${index + 1}. ${call.text}`);
    const rows = (changes[index] ?? []).map((change) => [
      `   ${change.param}`,
      change.currentShown,
      "->",
      change.proposedShown,
    ]);
    if (rows.length > 0) out.table(rows);
  }
}
