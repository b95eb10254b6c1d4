import { DAY, ethers, loadSystem, units } from "./system.js";

export const PAYMENT = units(10);
export const BOND = units(100);
export const SLASH = units(500);
export const INPUT = ethers.id("input: 'the quick brown fox'");
export const RESPONSE = ethers.id("response: 'jumps'");
export const WRONG = ethers.id("response: 'sleeps'");
export const Outcome = { None: 0n, Accepted: 1n, ProviderWon: 2n, ChallengerWon: 3n, Void: 4n };
export const TaskStatus = { None: 0n, Requested: 1n, Submitted: 2n, Disputed: 3n, Finalized: 4n, Cancelled: 5n };

/** A registered model (id 1) served by the provider, three staked committee members, approvals in place. */
export async function verifierFixture() {
  const system = await loadSystem();
  const { staking, token, usdc, models, verifier, provider, buyer, challenger, members, gov } = system;
  await token.connect(provider).approve(staking, ethers.MaxUint256);
  await staking.connect(provider).stake(units(5_000));
  await models.connect(provider).registerModel({
    modelHash: ethers.id("weights"),
    modelURI: "bafkweights",
    endpoint: "https://provider.example",
    pricePerToken: 1n,
    licensePrice: 0n,
    paymentToken: usdc.target,
    jobId: 0n,
    stake: units(1_000),
  });
  for (const member of members) {
    await token.connect(member).approve(staking, ethers.MaxUint256);
    await staking.connect(member).stake(units(1_000));
    await verifier.connect(gov).setCommitteeMember(member.address, true);
  }
  await usdc.connect(buyer).approve(verifier, ethers.MaxUint256);
  await token.connect(challenger).approve(verifier, ethers.MaxUint256);
  return system;
}

/** The mock ZK verifier's proof that `responseHash` is the model's answer to INPUT. */
export function proofFor(responseHash: string): string {
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const statement = ethers.keccak256(
    coder.encode(["bytes32", "bytes32", "bytes32"], [ethers.id("weights"), INPUT, responseHash]),
  );
  return coder.encode(["bytes32"], [statement]);
}

export const WINDOW = DAY;
export const RESOLUTION = 3n * DAY;
export const TIMEOUT = 3_600n;

export async function requested() {
  const f = await verifierFixture();
  await f.verifier.connect(f.buyer).createTask(1n, INPUT, f.usdc, PAYMENT);
  return f;
}

export async function submitted() {
  const f = await requested();
  await f.verifier.connect(f.provider).submitResult(1n, RESPONSE);
  return f;
}

export async function disputed() {
  const f = await submitted();
  await f.verifier.connect(f.challenger).dispute(1n, WRONG);
  return f;
}

/** Like `disputed`, but the model has a ZK verifier, so the dispute is resolved by proof. */
export async function disputedWithProof() {
  const f = await submitted();
  const zk = await ethers.deployContract("MockProofVerifier");
  await f.verifier.connect(f.gov).setProofVerifier(1n, zk);
  await f.verifier.connect(f.challenger).dispute(1n, WRONG);
  return { ...f, zk };
}
