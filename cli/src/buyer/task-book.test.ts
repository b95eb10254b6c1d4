import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connectOptimisticVerifier, connectTributaryToken } from "@tributary/contracts/typed";
import type { Bytes32 } from "@tributary/protocol";
import { hexlify, randomBytes, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerModel, worldWeights } from "../../../inference-provider/test-support/provider-world.js";
import { type DeployedChain, startDeployedChain } from "../../test-support/deployed-chain.js";
import { Output } from "../chain/output.js";
import { tokenInfo } from "../chain/spend.js";
import { TaskBook } from "./task-book.js";

// The buyer's task book against OptimisticVerifier on a local chain: what it records, and how it settles tasks the
// provider never answered and tasks whose submitted hash is not the one the provider's receipt signed.

const E18 = 10n ** 18n;
const PAYMENT = 5n * E18;
let deployed: DeployedChain;
let dir: string;
let provider: Wallet;
let buyer: Wallet;
let modelId: bigint;
const out = new Output(true, () => {});

beforeAll(async () => {
  deployed = await startDeployedChain();
  dir = await mkdtemp(path.join(tmpdir(), "tributary-task-book-"));
  [provider, buyer] = (await deployed.chain.fundedWallets(2, { tokens: 10_000n * E18 })) as [Wallet, Wallet];
  ({ modelId } = await registerModel(deployed.chain, provider, await worldWeights(3), 1_000n));
});

afterAll(async () => {
  await deployed?.stop();
  await rm(dir, { recursive: true, force: true });
});

const contracts = () => deployed.chain.system.deployment.contracts;
const hash = () => hexlify(randomBytes(32)) as Bytes32;

async function book() {
  return TaskBook.open(dir, {
    chainId: BigInt(deployed.chain.chainId),
    verifier: contracts().OptimisticVerifier,
    buyer: buyer.address,
  });
}

async function advance(seconds: number) {
  await deployed.chain.rpc("evm_increaseTime", [seconds]);
  await deployed.chain.rpc("evm_mine");
}

describe("TaskBook", () => {
  it("creates tasks (approving the payment), keeps them across sessions, cancels the unanswered and refunds", async () => {
    const signer = buyer.connect(deployed.provider);
    const verifier = connectOptimisticVerifier(contracts().OptimisticVerifier, signer);
    const token = await tokenInfo(contracts().TributaryToken, deployed.provider);
    const trib = connectTributaryToken(contracts().TributaryToken, deployed.provider);
    const before = await trib.balanceOf(buyer.address);
    const first = await book();
    const unanswered = { requestHash: hash(), responseHash: hash() };
    const lied = { requestHash: hash(), responseHash: hash() };
    for (const task of [unanswered, lied]) {
      await first.create(out, signer, verifier, {
        modelId,
        provider: provider.address,
        ...task,
        token,
        payment: PAYMENT,
        approve: true,
      });
    }
    expect(await trib.balanceOf(buyer.address)).toBe(before - 2n * PAYMENT);
    const onChain = await verifier.getTask(2n);
    expect([onChain.requester, onChain.inputHash, onChain.payment]).toEqual([buyer.address, lied.requestHash, PAYMENT]);

    // The provider submits, for the second task, a hash other than the one its receipt signed.
    const other = hash();
    await (
      await connectOptimisticVerifier(contracts().OptimisticVerifier, provider.connect(deployed.provider)).submitResult(
        2n,
        other,
      )
    ).wait();
    const now = async () => BigInt((await deployed.provider.getBlock("latest"))?.timestamp ?? 0);
    const second = await book();
    expect(second.entries().map((e) => [e.taskId, e.requestHash])).toEqual([
      ["1", unanswered.requestHash],
      ["2", lied.requestHash],
    ]);
    expect(await second.settle(out, buyer.address, verifier, await now())).toEqual([
      { taskId: "1", status: "Requested", action: "none" },
      { taskId: "2", status: "Submitted", action: "none", submittedOtherThanReceipt: other },
    ]);
    const { responseTimeout, disputeWindow } = await verifier.parameters();
    await advance(Number(responseTimeout + disputeWindow) + 1);
    const settled = await second.settle(out, buyer.address, verifier, await now());
    expect(settled.map((s) => [s.taskId, s.status, s.action])).toEqual([
      ["1", "Cancelled", "cancelled"],
      ["2", "Submitted", "none"],
    ]);
    expect((await verifier.getTask(2n)).status).toBe(2n); // not finalised by this buyer
    expect(await trib.balanceOf(buyer.address)).toBe(before - PAYMENT);
    expect((await book()).entries().map((e) => e.ended)).toEqual(["Cancelled", undefined]);
  });
});
