import { parseInput } from "@tributary/protocol";
import type { Command } from "commander";
import { id, ZeroAddress } from "ethers";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { addChainOptions, ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { formatToken } from "../chain/spend.js";
import { sendAndWait } from "../chain/transactions.js";
import { addKeyOption, KeyOptionsShape, walletFor } from "../chain/wallet-options.js";
import { decodeCalls } from "../governance/call-decoder.js";
import { PARAMETER_CATALOGUE } from "../governance/parameter-catalogue.js";
import { planCalls, simulateAsTimelock } from "../governance/proposal-plan.js";
import { ProposalIdSchema, proposalIdOf, readProposals } from "../governance/proposal-record.js";
import { formatTimepoint, readStatus } from "../governance/proposal-status.js";
import {
  type Governance,
  openGovernance,
  proposalWithStatus,
  sayCalls,
  statusJson,
  statusRows,
} from "../governance/proposal-view.js";
import { registerGovLifecycle } from "./gov-lifecycle.js";

const ReadOptionsSchema = z.strictObject(ChainOptionsShape);
const ShowOptionsSchema = z.strictObject({ ...ChainOptionsShape, id: ProposalIdSchema });
const ProposeOptionsSchema = z.strictObject({
  ...ChainOptionsShape,
  ...KeyOptionsShape,
  set: z.array(z.string()).min(1, "give at least one --set PARAM=VALUE (`tributary gov params` lists them)"),
  description: z.string().trim().min(1, "must say what the proposal does"),
});

function runParams(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ReadOptionsSchema, raw, "gov params options");
    await withChain(options, context, async (chain) => {
      const gov = await openGovernance(chain);
      const params = [];
      for (const param of PARAMETER_CATALOGUE) {
        const current = await param.current(gov.params);
        params.push({
          name: param.name,
          keys: param.keys,
          contract: param.contract,
          setter: param.setter,
          kind: param.kind,
          syntax: param.syntax,
          description: param.description,
          value: current?.value ?? null,
          shown: current?.shown ?? null,
        });
      }
      out.say(`parameters governance sets on chain ${chain.chainId} (gov propose --set PARAM=VALUE):`);
      out.table([
        ["PARAM", "NOW", "VALUE", "SET BY", "WHAT"],
        ...params.map((param) => [
          [param.name, ...param.keys].join(":"),
          param.shown ?? "(one per key)",
          param.syntax,
          `${param.contract}.${param.setter}`,
          param.description,
        ]),
      ]);
      out.done({ action: "gov params", chainId: chain.chainId, params });
    });
  });
}

/** Refuses (`INSUFFICIENT_VOTES`) a proposer whose votes are below the proposal threshold, with the numbers. */
async function ensureProposerVotes(gov: Governance, proposer: string): Promise<{ votes: bigint; threshold: bigint }> {
  const token = await gov.chain.contract("TributaryToken");
  const [votes, threshold, balance, delegate] = await Promise.all([
    token.getVotes(proposer),
    gov.governor.proposalThreshold(),
    token.balanceOf(proposer),
    token.delegates(proposer),
  ]);
  if (votes >= threshold) return { votes, threshold };
  const show = (amount: bigint) => formatToken(amount, gov.trib);
  const goesTo = delegate === ZeroAddress ? "nobody" : delegate.toLowerCase();
  throw new RefusedError(
    "INSUFFICIENT_VOTES",
    `gov propose needs ${show(threshold)} of votes (the proposal threshold) but ${proposer} has ${show(votes)} of votes: ${show(threshold - votes)} more needed (it holds ${show(balance)}, whose votes go to ${goesTo}; \`tributary token delegate\` delegates them to itself, and holders can delegate theirs to it); nothing was sent`,
    { proposer, votes, threshold, missing: threshold - votes, balance },
  );
}

function runPropose(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ProposeOptionsSchema, raw, "gov propose options");
    const wallet = await walletFor("voter", options, out);
    await withChain(options, context, async (chain) => {
      const gov = await openGovernance(chain, wallet);
      const proposer = wallet.address.toLowerCase();
      const planned = await planCalls(gov.params, options.set);
      const targets = planned.map((call) => call.target);
      const values = planned.map(() => 0n);
      const calldatas = planned.map((call) => call.data);
      const decoded = await decodeCalls(chain, { targets, values, calldatas });
      const timelock = await chain.address("TributaryTimelock");
      out.say(`gov propose from ${proposer}: ${planned.length} call(s), made by the timelock ${timelock} once passed`);
      sayCalls(
        out,
        decoded,
        planned.map((call) => call.changes),
      );
      const { votes, threshold } = await ensureProposerVotes(gov, proposer);
      const simulated = await simulateAsTimelock(gov.params, planned);
      out.say(
        `simulated as the timelock against the chain now: ${simulated.length} of ${planned.length} call(s) succeed${simulated.length < planned.length ? " (the governor's own settings run only inside execute)" : ""}`,
      );
      const proposalId = proposalIdOf(targets, values, calldatas, id(options.description));
      if ((await gov.governor.proposalSnapshot(proposalId)) !== 0n) {
        throw new RefusedError(
          "PROPOSAL_EXISTS",
          `proposal ${proposalId} with these calls and this description exists already (\`tributary gov show ${proposalId}\`); change the description to propose it again`,
          { proposalId },
        );
      }
      const proposal = await sendAndWait(out, {
        description: `propose ${planned.length} call(s) with ${formatToken(votes, gov.trib)} of votes (threshold ${formatToken(threshold, gov.trib)})`,
        call: "TributaryGovernor.propose",
        send: () => gov.governor.propose(targets, values, calldatas, options.description),
      });
      const status = await readStatus(gov.governor, chain.provider, proposalId);
      out.say(`proposal ${proposalId}`);
      out.table(statusRows(status, gov.trib));
      out.done({
        action: "gov propose",
        chainId: chain.chainId,
        proposalId,
        proposer,
        description: options.description,
        calls: decoded.map((call, index) => ({ ...call, changes: planned[index]?.changes ?? [] })),
        status: statusJson(status),
        transactions: [proposal],
      });
    });
  });
}

function runShow(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ShowOptionsSchema, raw, "gov show options");
    await withChain(options, context, async (chain) => {
      const gov = await openGovernance(chain);
      const { record, status } = await proposalWithStatus(gov, options.id);
      const calls = await decodeCalls(chain, record);
      out.say(`proposal ${record.proposalId} on the governor ${gov.address} (chain ${chain.chainId})`);
      out.table([
        ["proposer", record.proposer],
        ["proposed in", `block ${record.blockNumber}, transaction ${record.transactionHash}`],
        ["description", record.description],
        ...statusRows(status, gov.trib),
      ]);
      out.say("calls (made by the timelock once passed and queued):");
      sayCalls(out, calls);
      out.done({
        action: "gov show",
        chainId: chain.chainId,
        proposal: { ...record, status: statusJson(status), calls },
      });
    });
  });
}

function runList(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(ReadOptionsSchema, raw, "gov list options");
    await withChain(options, context, async (chain) => {
      const gov = await openGovernance(chain);
      const proposals = [];
      for (const record of await readProposals(chain, gov.governor)) {
        const status = await readStatus(gov.governor, chain.provider, record.proposalId);
        proposals.push({ record, status });
      }
      const show = (amount: bigint) => formatToken(amount, gov.trib);
      out.say(`${proposals.length} proposal(s) on the governor ${gov.address} (chain ${chain.chainId})`);
      if (proposals.length > 0) {
        out.table([
          ["ID", "STATE", "FOR", "AGAINST", "ABSTAIN", "VOTING CLOSES", "DESCRIPTION"],
          ...proposals.map(({ record, status }) => [
            String(record.proposalId),
            status.state,
            show(status.votes.for),
            show(status.votes.against),
            show(status.votes.abstain),
            formatTimepoint(status.clock, status.deadline),
            (record.description.split("\n")[0] ?? "").slice(0, 60),
          ]),
        ]);
      }
      out.done({
        action: "gov list",
        chainId: chain.chainId,
        proposals: proposals.map(({ record, status }) => ({
          proposalId: record.proposalId,
          proposer: record.proposer,
          description: record.description,
          blockNumber: record.blockNumber,
          status: statusJson(status),
        })),
      });
    });
  });
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `tributary gov params|propose|vote|queue|execute|show|list`: on-chain governance through the governor. */
export function registerGovCommand(program: Command, context: CommandContext = {}): void {
  const gov = program
    .command("gov")
    .description("governance: propose parameter changes, vote with delegated TRIB, queue and execute passed proposals");
  addChainOptions(gov.command("params").description("the parameters governance sets, with their values now")).action(
    (options: Record<string, unknown>) => runParams(options, context),
  );
  addKeyOption(
    addChainOptions(
      gov.command("propose").description("propose parameter changes (needs the proposal threshold of votes)"),
    ),
    "voter",
  )
    .option("--set <param=value>", "a change, e.g. staking.unbondingDelay=3d (repeatable; see gov params)", collect, [])
    .requiredOption("--description <text>", "what the proposal does and why (part of its id)")
    .action((options: Record<string, unknown>) => runPropose(options, context));
  registerGovLifecycle(gov, context);
  addChainOptions(gov.command("show").description("a proposal: state, votes, deadlines and decoded calls"))
    .argument("<id>", "the proposal id")
    .action((proposalId: string, options: Record<string, unknown>) => runShow({ ...options, id: proposalId }, context));
  addChainOptions(gov.command("list").description("every proposal, from the governor's ProposalCreated events")).action(
    (options: Record<string, unknown>) => runList(options, context),
  );
}
