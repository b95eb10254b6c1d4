import { parseInput } from "@tributary/protocol";
import type { Provider } from "ethers";
import { z } from "zod";
import type { DeployedContract } from "../chain/chain-session.js";
import { formatToken, type TokenInfo } from "../chain/spend.js";

/** `IGovernor.ProposalState`, by its index. */
export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

type Governor = DeployedContract<"TributaryGovernor">;

/**
 * The governor's clock (EIP-6372): `timestamp` (this governor: delays and periods in seconds) or `blocknumber`, and
 * its current timepoint; `time` is the latest block's timestamp, which the timelock's eta compares with.
 */
export interface GovernorClock {
  readonly mode: "timestamp" | "blocknumber";
  readonly now: bigint;
  readonly time: bigint;
}

const ClockModeSchema = z
  .string()
  .transform((text) => new URLSearchParams(text).get("mode"))
  .pipe(z.enum(["timestamp", "blocknumber"], { message: "must say mode=timestamp or mode=blocknumber" }));

export async function governorClock(governor: Governor, provider: Provider): Promise<GovernorClock> {
  const [mode, now, block] = await Promise.all([governor.CLOCK_MODE(), governor.clock(), provider.getBlock("latest")]);
  const time = BigInt(block?.timestamp ?? 0);
  return { mode: parseInput(ClockModeSchema, mode, "the governor's CLOCK_MODE"), now, time };
}

/** `3 d 4 h`, `12 min`, `40 s`: a span of seconds, to two units. */
function span(seconds: bigint): string {
  const units = [
    ["d", 86_400n],
    ["h", 3_600n],
    ["min", 60n],
    ["s", 1n],
  ] as const;
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${rest / size} ${unit}`);
      rest %= size;
    }
  }
  return parts.length === 0 ? "0 s" : parts.join(" ");
}

/** A unix time for people, against the chain's time: `2026-12-03T10:00:00.000Z (in 1 d 2 h)`. */
export function formatTime(clock: GovernorClock, time: bigint): string {
  return formatTimepoint({ ...clock, mode: "timestamp", now: clock.time }, time);
}

/** A timepoint of the governor's clock for people: `2026-12-03T10:00:00.000Z (in 1 d 2 h)` or `block 120 (5 blocks ago)`. */
export function formatTimepoint(clock: GovernorClock, timepoint: bigint): string {
  const delta = timepoint - clock.now;
  const distance = delta < 0n ? -delta : delta;
  const amount = clock.mode === "timestamp" ? span(distance) : `${distance} block${distance === 1n ? "" : "s"}`;
  const relative = delta === 0n ? "now" : delta > 0n ? `in ${amount}` : `${amount} ago`;
  const absolute = clock.mode === "timestamp" ? new Date(Number(timepoint) * 1000).toISOString() : `block ${timepoint}`;
  return `${absolute} (${relative})`;
}

/** Where a proposal stands on chain now. Votes and quorum in the token's base units. */
export interface ProposalStatus {
  readonly proposalId: bigint;
  readonly state: ProposalState;
  readonly votes: { readonly for: bigint; readonly against: bigint; readonly abstain: bigint };
  /** Votes for + abstain must reach it; counted at the snapshot (at the last timepoint while still pending). */
  readonly quorum: bigint;
  /** Voting opens after this timepoint; votes are weighed as delegated at it. */
  readonly snapshot: bigint;
  /** Voting closes after this timepoint. */
  readonly deadline: bigint;
  /** When the timelock lets it execute (0 until queued); unix seconds. */
  readonly eta: bigint;
  readonly clock: GovernorClock;
}

export async function readStatus(governor: Governor, provider: Provider, proposalId: bigint): Promise<ProposalStatus> {
  const clock = await governorClock(governor, provider);
  const [state, [against, forVotes, abstain], snapshot, deadline, eta] = await Promise.all([
    governor.state(proposalId),
    governor.proposalVotes(proposalId),
    governor.proposalSnapshot(proposalId),
    governor.proposalDeadline(proposalId),
    governor.proposalEta(proposalId),
  ]);
  // `quorum` looks only into the past: while pending, the quorum as the supply stands now.
  const quorum = await governor.quorum(snapshot < clock.now ? snapshot : clock.now - 1n);
  const name = PROPOSAL_STATES[Number(state)];
  if (name === undefined) throw new RangeError(`the governor reported an unknown proposal state ${state}`);
  return {
    proposalId,
    state: name,
    votes: { for: forVotes, against, abstain },
    quorum,
    snapshot,
    deadline,
    eta,
    clock,
  };
}

/** Why a proposal in its state cannot do what was asked, or what comes next, for messages. */
export function stateExplanation(status: ProposalStatus, token: TokenInfo): string {
  const at = (timepoint: bigint) => formatTimepoint(status.clock, timepoint);
  const show = (amount: bigint) => formatToken(amount, token);
  const { votes } = status;
  switch (status.state) {
    case "Pending":
      return `voting has not started: it opens after ${at(status.snapshot)}`;
    case "Active":
      return `voting is open until ${at(status.deadline)}`;
    case "Canceled":
      return "it was canceled";
    case "Defeated": {
      const quorumReached = votes.for + votes.abstain >= status.quorum;
      const reason = quorumReached
        ? `for ${show(votes.for)} did not exceed against ${show(votes.against)}`
        : `for + abstain ${show(votes.for + votes.abstain)} fell short of the quorum ${show(status.quorum)}`;
      return `it was defeated when voting closed at ${at(status.deadline)}: ${reason}`;
    }
    case "Succeeded":
      return "it passed and waits to be queued (`tributary gov queue ID`)";
    case "Queued":
      return `it is queued in the timelock, executable from ${formatTime(status.clock, status.eta)}`;
    case "Expired":
      return "it expired";
    case "Executed":
      return "it was executed";
  }
}
