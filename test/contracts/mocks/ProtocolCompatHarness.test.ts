import {
  type Address,
  buildPayoutTree,
  buildRoundTree,
  type ModelUpdateHeader,
  modelUpdateMessage,
  recoverModelUpdateSigner,
  SCORE_SCALE,
  signModelUpdate,
  tributaryDomain,
} from "@tributary/protocol";
import { expect } from "chai";
import { TypedDataEncoder, Wallet } from "ethers";
import { network } from "hardhat";

// Cross-checks @tributary/protocol's encodings against Solidity (OpenZeppelin EIP712/ECDSA/MerkleProof) and
// against the EVM node's own eth_signTypedData_v4: two implementations nobody here wrote.
const { ethers } = await network.getOrCreate();

async function deploy() {
  const harness = await ethers.deployContract("ProtocolCompatHarness");
  const { chainId } = await ethers.provider.getNetwork();
  const domain = tributaryDomain(chainId, (await harness.getAddress()).toLowerCase() as Address);
  return { harness, domain };
}

function header(trainer: string): ModelUpdateHeader {
  return {
    jobId: "7" as ModelUpdateHeader["jobId"],
    round: 3,
    trainer: trainer.toLowerCase() as Address,
    datasetId: "42" as ModelUpdateHeader["datasetId"],
    numExamples: 6000,
    updateHash: `0x${"ab".repeat(32)}`,
    metrics: { loss: 0.4123, accuracy: 0.871 },
    epsilonSpent: 1.25,
    delta: 1e-5,
    nonce: `0x${"01".repeat(32)}`,
  };
}

describe("protocol encodings on chain", () => {
  it("a ModelUpdate signed with ethers is recovered by the contract", async () => {
    const { harness, domain } = await deploy();
    const wallet = Wallet.createRandom();
    const signed = await signModelUpdate(wallet, domain, header(wallet.address));
    const message = modelUpdateMessage(signed);
    expect(await harness.modelUpdateDigest(message)).to.equal(
      TypedDataEncoder.hash(domain, { ModelUpdate: [...TYPES] }, message),
    );
    expect(await harness.recoverModelUpdateSigner(message, signed.signature)).to.equal(wallet.address);
  });

  it("a ModelUpdate signed by the node (eth_signTypedData_v4) is recovered by the protocol package", async () => {
    const { domain } = await deploy();
    const [account] = await ethers.getSigners();
    if (account === undefined) throw new Error("the node has no accounts");
    const signed = await signModelUpdate(account, domain, header(account.address));
    expect(recoverModelUpdateSigner(domain, signed)).to.equal(account.address.toLowerCase());
    // A changed field or another deployment's domain no longer recovers the trainer.
    expect(recoverModelUpdateSigner(domain, { ...signed, round: 4 })).to.not.equal(account.address.toLowerCase());
    const otherDomain = tributaryDomain(31337n, `0x${"11".repeat(20)}` as Address);
    expect(recoverModelUpdateSigner(otherDomain, signed)).to.not.equal(account.address.toLowerCase());
  });

  it("round and payout proofs from the protocol package verify in MerkleProof, tampered ones do not", async () => {
    const { harness } = await deploy();
    const wallets = Array.from({ length: 5 }, () => Wallet.createRandom());
    const roundTree = buildRoundTree(
      wallets.map((wallet, index) => ({
        trainer: wallet.address.toLowerCase() as Address,
        updateHash: ethers.keccak256(ethers.toUtf8Bytes(`update ${index}`)) as Address,
        numExamples: BigInt(1000 + index),
        score: SCORE_SCALE / BigInt(index + 2),
      })),
    );
    for (const [index, leaf] of roundTree.leaves.entries()) {
      const proof = roundTree.proof(index);
      const args = [leaf.trainer, leaf.updateHash, leaf.numExamples, leaf.score] as const;
      expect(await harness.verifyRoundLeaf(roundTree.root, ...args, proof)).to.equal(true);
      expect(
        await harness.verifyRoundLeaf(
          roundTree.root,
          leaf.trainer,
          leaf.updateHash,
          leaf.numExamples,
          leaf.score + 1n,
          proof,
        ),
      ).to.equal(false);
    }
    const payoutTree = buildPayoutTree(
      wallets.map((wallet, index) => ({
        trainer: wallet.address.toLowerCase() as Address,
        amount: 10n ** 18n * BigInt(index + 1),
      })),
    );
    for (const [index, leaf] of payoutTree.leaves.entries()) {
      const proof = payoutTree.proof(index);
      expect(await harness.verifyPayoutLeaf(payoutTree.root, leaf.trainer, leaf.amount, proof)).to.equal(true);
      expect(await harness.verifyPayoutLeaf(payoutTree.root, leaf.trainer, leaf.amount * 2n, proof)).to.equal(false);
    }
  });
});

const TYPES = [
  { name: "jobId", type: "uint256" },
  { name: "round", type: "uint32" },
  { name: "trainer", type: "address" },
  { name: "datasetId", type: "uint256" },
  { name: "numExamples", type: "uint64" },
  { name: "updateHash", type: "bytes32" },
  { name: "metricsHash", type: "bytes32" },
  { name: "epsilonSpent", type: "uint256" },
  { name: "delta", type: "uint256" },
  { name: "nonce", type: "bytes32" },
];
