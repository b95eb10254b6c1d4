// `npm run bench:gas`: gas of every main entry point on the in-process chain, as a table and, last, one JSON line.
// The baseline measured in the same run is a plain ERC-20 transfer to an address that held none (the cost every
// payout to a new trainer or provider carries). Targets: anchoring ≤ 100k and independent of the number of
// leaves, a claim ≤ 100k, a channel redeem ≤ 120k.
import { type Address, type Bytes32, buildPayoutTree, buildRoundTree, type RoundLeaf } from "@tributary/protocol";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import { DEFAULT_DEPLOY_OPTIONS, deploySystem } from "../ts/deploy-system.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const signers = await ethers.getSigners();
const [deployer, researcher, coordinator, provider, buyer, challenger] = signers;
if (!deployer || !researcher || !coordinator || !provider || !buyer || !challenger)
  throw new Error("not enough accounts");

const E18 = 10n ** 18n;
// A committee of two (the default threshold) so the committee dispute measured below can open.
const committee = [randomAddress(), randomAddress()];
const { contracts } = await deploySystem(ethers, deployer, {
  ...DEFAULT_DEPLOY_OPTIONS,
  admin: deployer.address,
  committee,
});
const { token, datasets, jobs, models, staking, verifier, channels } = contracts;
const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("no receipt");
  return receipt.gasUsed;
}

function randomAddress(): Address {
  return ethers.getAddress(ethers.hexlify(ethers.randomBytes(20))) as Address;
}

function roundTreeRoot(count: number): Bytes32 {
  const leaves: RoundLeaf[] = Array.from({ length: count }, (_, i) => ({
    trainer: randomAddress(),
    updateHash: ethers.hexlify(ethers.randomBytes(32)) as Bytes32,
    numExamples: BigInt(500 + i),
    score: (E18 * BigInt(1 + (i % 7))) / 7n,
  }));
  return buildRoundTree(leaves).root;
}

for (const account of [researcher, provider, buyer, challenger]) {
  await token.connect(deployer).transfer(account.address, 1_000_000n * E18);
  await usdc.mint(account.address, 1_000_000n * E18);
}

// Baseline: a plain ERC-20 transfer to an address that held none.
const baseline = await gasOf(usdc.connect(buyer).transfer(randomAddress(), 1n));

const registerDataset = await gasOf(
  datasets
    .connect(researcher)
    .registerDataset(
      ethers.id("manifest"),
      "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
      10n,
      3n * E18,
      10n ** 13n,
    ),
);
await usdc.connect(researcher).approve(jobs, ethers.MaxUint256);
const jobParams = {
  modelSpecHash: ethers.id("spec"),
  datasetIds: [1n],
  rounds: 10,
  reward: 100_000n * E18,
  paymentToken: await usdc.getAddress(),
  coordinator: coordinator.address,
};
const createJob = await gasOf(jobs.connect(researcher).createJob(jobParams));
await jobs.connect(researcher).createJob(jobParams);

// Round 1 of two identical jobs: one root over 10 update leaves, one over 1,000.
const anchorRoundGas10 = await gasOf(jobs.connect(coordinator).anchorRound(1n, 1n, roundTreeRoot(10), ethers.id("m1")));
const anchorRoundGas1000 = await gasOf(
  jobs.connect(coordinator).anchorRound(2n, 1n, roundTreeRoot(1_000), ethers.id("m1")),
);

// Payout over 1,000 trainers (proof depth 10); the claimant held no USDC before.
const payouts = Array.from({ length: 1_000 }, (_, i) => ({
  trainer: randomAddress(),
  amount: BigInt(i + 1) * 10n ** 16n,
}));
const payoutTree = buildPayoutTree(payouts);
const payoutTotal = payouts.reduce((sum, p) => sum + p.amount, 0n);
const finalizeJob = await gasOf(jobs.connect(coordinator).finalizeJob(1n, payoutTree.root, payoutTotal));
const claimed = payouts[500];
if (claimed === undefined) throw new Error("no payout leaf");
const claimGas = await gasOf(jobs.connect(buyer).claim(1n, claimed.trainer, claimed.amount, payoutTree.proof(500)));

await token.connect(provider).approve(staking, ethers.MaxUint256);
await staking.connect(provider).stake(10_000n * E18);
await models.connect(researcher).setProviderApproval(1n, provider.address, true);
const registerModel = await gasOf(
  models.connect(provider).registerModel({
    modelHash: ethers.id("weights"),
    modelURI: "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    endpoint: "https://provider.example/v1",
    pricePerToken: 10n ** 12n,
    licensePrice: 100n * E18,
    paymentToken: await usdc.getAddress(),
    jobId: 1n,
    stake: 1_000n * E18,
  }),
);
await usdc.connect(buyer).approve(models, ethers.MaxUint256);
const purchaseLicense = await gasOf(models.connect(buyer).purchaseLicense(1n, 100n * E18));

await usdc.connect(buyer).approve(verifier, ethers.MaxUint256);
await verifier.connect(buyer).createTask(1n, ethers.id("input"), usdc, 10n * E18);
const submitResult = await gasOf(verifier.connect(provider).submitResult(1n, ethers.id("response")));
await token.connect(challenger).approve(verifier, ethers.MaxUint256);
const dispute = await gasOf(verifier.connect(challenger).dispute(1n, ethers.id("other response")));

// A provider that held no USDC before its first redeem (the dearest case).
const channelProvider = ethers.Wallet.createRandom(ethers.provider);
await networkHelpers.setBalance(channelProvider.address, E18);
await usdc.connect(buyer).approve(channels, ethers.MaxUint256);
const expiry = BigInt(await networkHelpers.time.latest()) + 86_400n;
const channelOpen = await gasOf(channels.connect(buyer).open(channelProvider.address, usdc, 1_000n * E18, expiry));
const domain = {
  name: "Tributary",
  version: "1",
  chainId: (await ethers.provider.getNetwork()).chainId,
  verifyingContract: await channels.getAddress(),
};
const types = {
  Voucher: [
    { name: "channelId", type: "uint256" },
    { name: "amount", type: "uint256" },
  ],
};
const voucher = await buyer.signTypedData(domain, types, { channelId: 1n, amount: 25n * E18 });
const channelRedeemGas = await gasOf(channels.connect(channelProvider).redeem(1n, 25n * E18, voucher));

const result = {
  erc20TransferBaseline: baseline,
  registerDataset,
  createJob,
  anchorRoundGas10,
  anchorRoundGas1000,
  finalizeJob,
  claimGas,
  registerModel,
  purchaseLicense,
  submitResult,
  dispute,
  channelOpen,
  channelRedeemGas,
};
const targets: Partial<Record<keyof typeof result, bigint>> = {
  anchorRoundGas10: 100_000n,
  anchorRoundGas1000: 100_000n,
  claimGas: 100_000n,
  channelRedeemGas: 120_000n,
};
console.table(
  Object.entries(result).map(([operation, gas]) => {
    const target = targets[operation as keyof typeof result];
    return {
      operation,
      gas: Number(gas),
      "× baseline": Number((Number(gas) / Number(baseline)).toFixed(2)),
      target: target === undefined ? "" : `≤ ${target}`,
      met: target === undefined ? "" : gas <= target ? "yes" : "NO",
    };
  }),
);
console.log(
  `anchorRound over 1,000 leaves vs 10 leaves: ${anchorRoundGas1000 - anchorRoundGas10} gas difference (calldata bytes of the root only)`,
);
console.log(JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Number(v)]))));
