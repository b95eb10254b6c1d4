import { createHash } from "node:crypto";
import { LocalChain } from "@tributary/contracts/local-chain";
import type { AttestationDocument } from "@tributary/enclave-compute";
import type { JobLedger, TrainInstruction } from "@tributary/protocol";
import { getBytes, hexlify, randomBytes, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeTestChain,
  nitroVectorPayload,
  signNitroDocument,
  type TestChain,
  withChain,
} from "../../../enclave-compute/test-support/nitro-test-documents.js";
import { DATABASES } from "../../test-support/databases.js";
import {
  createOnChainJob,
  delta,
  EXAMPLES,
  ownerManifest,
  startChainCoordinator,
  trainRound,
} from "../../test-support/on-chain-job.js";
import { ok, request, until } from "../../test-support/rest.js";
import { ScriptedTrainer } from "../../test-support/scripted-trainer.js";

/**
 * A job requiring attested trainers, end to end through the real socket in production mode. Nobody holds the key
 * of the real AWS document's `public_key`, so the trainers here present Nitro documents bound to their own keys:
 * the real document's payload with their `public_key` and a fresh timestamp, signed under a certificate chain made
 * by the test, whose root the coordinator is told to pin instead of AWS's (`attestationTestRoots`, a seam that no
 * configuration reaches). The real document against the AWS root is `attested-admission.test.ts`.
 */
const AWS_NITRO = 0n;
const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;
const PCR0 = (nitroVectorPayload().get("pcrs") as Map<number, Uint8Array>).get(0) as Uint8Array;

let chain: LocalChain;
let pki: TestChain;
const sender = new Wallet(hexlify(randomBytes(32)));

beforeAll(async () => {
  pki = await makeTestChain({
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 3 * 3_600_000),
  });
  chain = await LocalChain.start({ attestationRegistrar: sender.address });
  await chain.fund(sender.address);
});

afterAll(async () => {
  await chain?.stop();
});

/** Governance (the deployer, admin of this ungoverned chain) allowlists the enclave's PCR0, or removes it. */
async function allowEnclave(allowed: boolean): Promise<void> {
  const registry = chain.system.contracts.attestation.connect(chain.deployer);
  await (await registry.setMeasurementAllowed(AWS_NITRO, sha256(PCR0), allowed)).wait();
}

/** A Nitro document binding `owner`'s key by `public_key` (no user data, no nonce), issued now. */
async function nitroDocumentFor(owner: Wallet): Promise<AttestationDocument> {
  const payload = withChain(nitroVectorPayload(), pki);
  payload.set("public_key", getBytes(owner.signingKey.publicKey));
  payload.set("timestamp", Date.now());
  return { kind: "nitro", bytes: await signNitroDocument(payload, pki.leafKey) };
}

describe.each(DATABASES)("a job requiring attested trainers on $name", (database) => {
  it("admits Nitro-attested trainers only, records them, takes their updates while attested, and shows it in the ledger", async () => {
    await allowEnclave(true);
    const db = await database.setup();
    const coordinator = await startChainCoordinator(
      chain,
      db,
      sender,
      { attestationTestRoots: { nitroRootFingerprint: pki.rootFingerprint } },
      { mode: "production", allowedMeasurements: { nitro: [Buffer.from(PCR0).toString("hex")] } },
    );
    const trainers: ScriptedTrainer[] = [];
    try {
      const { owners, datasets, jobId } = await createOnChainJob(chain, coordinator, sender, 2, undefined, {
        attestation: { required: true, kinds: ["nitro"] },
      });
      await until("the job to be adopted", async () =>
        (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
      );
      for (const [index, owner] of owners.entries()) {
        trainers.push(
          await ScriptedTrainer.connect(coordinator.url, owner, datasets[index] as (typeof datasets)[number], {
            chainId: coordinator.config.chainId,
            verifyingContract: coordinator.config.chain?.trainingJobs,
            manifest: ownerManifest(owner, index).manifest,
          }),
        );
      }
      // The simulator, through the socket, in production mode: refused, saying why.
      const simulated = await trainers[0]?.join(jobId);
      expect(simulated).toMatchObject({
        ok: false,
        code: "ATTESTATION_REJECTED",
        message: expect.stringMatching(/simulated-in-production/),
      });
      // A document binding another trainer's key.
      const borrowed = await trainers[0]?.join(jobId, () => nitroDocumentFor(owners[1] as Wallet));
      expect(borrowed).toMatchObject({
        ok: false,
        code: "ATTESTATION_REJECTED",
        message: expect.stringMatching(/public-key-mismatch/),
      });

      // Nobody is admitted: the round waits for attested trainers and says so.
      await until("the job to wait for attested trainers", async () => {
        const job = await ok<{ statusMessage: string | null }>(coordinator.url, "GET", `/jobs/${jobId}`);
        return job.statusMessage?.includes("online and attested on AttestationRegistry") ? job : undefined;
      });

      const documents = await Promise.all(owners.map((owner) => nitroDocumentFor(owner)));
      for (const [index, trainer] of trainers.entries()) {
        const joined = await trainer.join(jobId, async () => documents[index] as AttestationDocument);
        expect(joined).toMatchObject({ ok: true, teeKind: "nitro", simulated: false });
      }
      // Round 0 opens once the three records are on chain; every update is taken.
      await trainRound(trainers, 1);
      const registry = chain.system.contracts.attestation;
      for (const owner of owners) expect(await registry.isAttested(owner.address)).toBe(true);

      const ledger = await until("round 0 in the ledger", async () => {
        const body = await ok<JobLedger>(coordinator.url, "GET", `/ledger/jobs/${jobId}`);
        return body.rounds.length === 1 ? body : undefined;
      });
      for (const leaf of ledger.rounds[0]?.leaves ?? []) {
        const index = owners.findIndex((owner) => owner.address.toLowerCase() === leaf.trainer);
        const record = await registry.getAttestation(leaf.trainer);
        expect(leaf.attestation).toEqual({
          kind: "nitro",
          measurement: Buffer.from(PCR0).toString("hex"),
          attestationHash: sha256((documents[index] as AttestationDocument).bytes),
          expiry: Number(record.expiry),
        });
        expect(record.attestationHash).toBe(leaf.attestation?.attestationHash);
        expect(record.measurement).toBe(sha256(PCR0));
      }

      // Governance removes the enclave from the allowlist while round 1 collects: every key recorded under it stops
      // counting, and an update from it is refused with the reason.
      const round1 = await Promise.all(trainers.map((trainer) => trainer.next()));
      await allowEnclave(false);
      const refused = await (trainers[0] as ScriptedTrainer).submit(
        round1[0]?.instruction as TrainInstruction,
        delta(9),
        EXAMPLES[0],
      );
      expect(refused).toMatchObject({
        ok: false,
        code: "UPDATE_REJECTED",
        message: expect.stringMatching(/not-attested.*no longer allowlisted/),
      });
      expect(await registry.isAttested(owners[0]?.address as string)).toBe(false);
    } finally {
      for (const trainer of trainers) trainer.close();
      await coordinator.close();
      await db.cleanup();
    }
  });
});
