import {
  type Address,
  type Bytes32,
  type JobId,
  type ModelUpdateHeader,
  recoverModelUpdateSigner,
  type SignedModelUpdate,
  signModelUpdate,
  tributaryDomain,
} from "@tributary/protocol";
import { RecoveryPool } from "@tributary/signatures";
import { hexlify, randomBytes, Wallet } from "ethers";
import { afterAll, describe, expect, it } from "vitest";
import { ModelUpdateSigner } from "./model-update-signer.js";

const verifyingContract = hexlify(randomBytes(20)).toLowerCase() as Address;
const domain = tributaryDomain(31337, verifyingContract);
const fast = new ModelUpdateSigner(31337, verifyingContract);

async function signed(wallet: Wallet, change: Partial<ModelUpdateHeader> = {}): Promise<SignedModelUpdate> {
  const header: ModelUpdateHeader = {
    jobId: String(1 + Math.floor(Math.random() * 1e9)) as JobId,
    round: Math.floor(Math.random() * 1000),
    trainer: wallet.address.toLowerCase() as Address,
    datasetId: String(Math.floor(Math.random() * 1e6)) as ModelUpdateHeader["datasetId"],
    numExamples: 1 + Math.floor(Math.random() * 1e12),
    updateHash: hexlify(randomBytes(32)) as Bytes32,
    metrics: { loss: Math.random(), accuracy: Math.random() },
    epsilonSpent: Math.random() < 0.5 ? null : Math.random() * 10,
    delta: Math.random() * 1e-5,
    nonce: hexlify(randomBytes(32)) as Bytes32,
    ...change,
  };
  return signModelUpdate(wallet, domain, header);
}

/** What protocol's (ethers') recovery answers: the address, or the error's message. */
function reference(update: SignedModelUpdate): string {
  try {
    return recoverModelUpdateSigner(domain, update);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

function ours(update: SignedModelUpdate): string {
  try {
    return fast.signer(update);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** The same through a pool of worker threads (what the coordinator runs). */
async function oursOnPool(update: SignedModelUpdate): Promise<string> {
  try {
    return await fast.signerOn(pool, update);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

const pool = new RecoveryPool(1);
afterAll(() => pool.close());

describe("ModelUpdateSigner", () => {
  it("answers what protocol's ethers-based recovery answers for signed, altered and malformed updates", async () => {
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    for (let i = 0; i < 40; i++) {
      const wallet = new Wallet(hexlify(randomBytes(32)));
      const update = await signed(wallet);
      expect(ours(update)).toBe(wallet.address.toLowerCase());
      expect(ours(update)).toBe(reference(update));
      // Any field changed after signing: another (wrong) signer, the same one protocol recovers.
      const altered = [
        { ...update, numExamples: update.numExamples + 1 },
        { ...update, round: update.round + 1 },
        { ...update, metrics: { ...update.metrics, loss: 0 } },
        { ...update, epsilonSpent: 1 },
        { ...update, nonce: hexlify(randomBytes(32)) as Bytes32 },
      ];
      for (const other of altered) expect(ours(other)).toBe(reference(other));
      // On the pool's worker, the same answers.
      expect(await Promise.all([update, ...altered].map(oursOnPool))).toEqual([update, ...altered].map(reference));
      // Malformed signatures: high s, v 0/1, truncated: the same refusal.
      const s = BigInt(`0x${update.signature.slice(66, 130)}`);
      const highS = `${update.signature.slice(0, 66)}${(n - s).toString(16).padStart(64, "0")}${update.signature.slice(130) === "1b" ? "1c" : "1b"}`;
      const v0 = `${update.signature.slice(0, 130)}00`;
      for (const signature of [highS, v0, update.signature.slice(0, 130)]) {
        const bad = { ...update, signature } as SignedModelUpdate;
        expect(ours(bad)).toBe(reference(bad));
        expect(ours(bad)).toMatch(/^error: /);
        expect(await oursOnPool(bad)).toBe(reference(bad));
      }
    }
    expect(pool.size).toBe(1);
  });
});
