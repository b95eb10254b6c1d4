import type { Address } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import { Output } from "../chain/output.js";
import { formatToken, tokenInfo } from "../chain/spend.js";
import { depositStake } from "../provider/deposit-stake.js";
import { type ChallengeOutcome, type Challenger, challengeResults } from "../verification/challenge-results.js";
import { type CommitteeMember, type VoteOutcome, voteOnDisputes } from "../verification/committee-votes.js";
import type { EventScanner } from "../verification/event-scanner.js";
import { RequestSource } from "../verification/request-source.js";
import { TaskChecker } from "../verification/task-checker.js";
import { loadVerificationModel } from "../verification/verification-model.js";
import { taskEventScanner } from "../verification/verifier-tasks.js";
import type { DemoChain } from "./demo-chain.js";

/** A log naming a task: what the challenger's and the members' scanners read. */
type TaskScanner = EventScanner<{ readonly args: { readonly taskId: bigint } }>;

/** What one pass of the challenger and the committee did. */
export interface VerifierPass {
  readonly checked: readonly ChallengeOutcome[];
  readonly votes: readonly VoteOutcome[];
}

/** A role's lines in the demo's output, marked with whose they are. */
export type RoleOutput = (role: string) => Output;

/**
 * The demo's re-executors, each through its command's core: a challenger (`tributary challenger --bond-approve`,
 * `challengeResults`) and a committee (`tributary committee vote`, `voteOnDisputes`), watching every listing of the
 * served weights from the block they start at. The committee is `committeeThreshold + 1` fresh accounts, each
 * staking `minCommitteeStake` (`stake deposit`) and appointed by the local chain's administrator, which stands in for
 * governance there (`DemoChain.appointCommittee`); the challenger holds a bond for each of `bonds` disputes. Both
 * re-execute with the job's final weights, checked against each listing's `modelHash`, and fetch tasks' requests
 * from the providers' endpoints (published once a task names them). Their commands' lines are not printed: the demo
 * reports what each pass did.
 */
export class DemoVerifiers {
  private constructor(
    readonly challenger: Wallet,
    readonly members: readonly Address[],
    private readonly challengers: readonly { readonly core: Challenger; readonly scanner: TaskScanner }[],
    private readonly voters: readonly { readonly core: CommitteeMember; readonly scanner: TaskScanner }[],
  ) {}

  static async appoint(input: {
    readonly chain: DemoChain;
    readonly session: ChainSession;
    /** The listings of the weights, and where the weights are (as `job model` writes them). */
    readonly modelIds: readonly bigint[];
    readonly modelDir: string;
    /** Where tasks' requests are fetched: the providers' endpoints. */
    readonly requestSources: readonly string[];
    readonly bonds: number;
    readonly out: RoleOutput;
  }): Promise<DemoVerifiers> {
    const { chain, session } = input;
    const verifier = await session.contract("OptimisticVerifier");
    const { challengerBond, minCommitteeStake, committeeThreshold } = await verifier.parameters();
    const staking = await session.contract("Staking");
    const token = await tokenInfo(await staking.stakingToken(), chain.provider);
    const members: Wallet[] = [];
    for (let index = 0; index <= Number(committeeThreshold); index++) {
      const member = await chain.newAccount(minCommitteeStake);
      await depositStake(Output.silent(), {
        staker: member,
        staking: staking.connect(member),
        token,
        amount: minCommitteeStake,
        approve: true,
      });
      members.push(member);
    }
    await chain.appointCommittee(members.map((member) => member.address));
    input
      .out("committee")
      .say(
        `${members.length} members appointed by the local chain's administrator (standing in for governance: on a governed deployment, tributary gov propose --set optimisticVerifier.committeeMember:ADDRESS=true), each staking ${formatToken(minCommitteeStake, token)}; ${committeeThreshold} votes on one side decide a dispute: ${members.map((m) => m.address).join(", ")}`,
      );
    const challenger = await chain.newAccount(challengerBond * BigInt(input.bonds));
    input
      .out("challenger")
      .say(
        `${challenger.address}, funded with ${formatToken(challengerBond * BigInt(input.bonds), token)} for its bonds, re-executes every result submitted on models ${input.modelIds.join(" and ")} (tributary challenger, in this process)`,
      );
    const fromBlock = await chain.provider.getBlockNumber();
    const quiet = Output.silent();
    const challengers: { core: Challenger; scanner: TaskScanner }[] = [];
    const voters: { core: CommitteeMember; scanner: TaskScanner }[] = [];
    for (const modelId of input.modelIds) {
      const model = await loadVerificationModel(quiet, session, modelId, input.modelDir);
      const checker = new TaskChecker(model, new RequestSource(input.requestSources));
      challengers.push({
        core: {
          out: quiet,
          chain: session,
          wallet: challenger,
          verifier: await session.contract("OptimisticVerifier", challenger),
          modelId,
          checker,
          bond: { token, amount: challengerBond },
          approveBond: true,
        },
        scanner: await taskEventScanner(verifier, "ResultSubmitted", { fromBlock }),
      });
      for (const member of members) {
        voters.push({
          core: {
            out: quiet,
            chain: session,
            member: member.address.toLowerCase(),
            verifier: await session.contract("OptimisticVerifier", member),
            modelId,
            checker,
          },
          scanner: await taskEventScanner(verifier, "Disputed", { fromBlock }),
        });
      }
    }
    const addresses = members.map((member) => member.address.toLowerCase() as Address);
    return new DemoVerifiers(challenger, addresses, challengers, voters);
  }

  /**
   * One pass: the challenger re-executes every result submitted since its last pass and disputes the wrong ones;
   * then each member re-executes every dispute opened since its last pass and votes (the contract settles a dispute,
   * slashing a provider that lost, as soon as one side has the threshold's votes).
   */
  async pass(): Promise<VerifierPass> {
    const checked: ChallengeOutcome[] = [];
    for (const { core, scanner } of this.challengers) checked.push(...(await challengeResults(core, scanner)));
    const votes: VoteOutcome[] = [];
    for (const { core, scanner } of this.voters) votes.push(...(await voteOnDisputes(core, scanner)));
    return { checked, votes };
  }
}
