import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { LocalChain } from "@tributary/contracts/local-chain";
import { attestationUserData, SimulatedEnclave } from "@tributary/enclave-compute";
import type { Address, DatasetId, JobId } from "@tributary/protocol";
import { computeAddress, hexlify, randomBytes, Wallet } from "ethers";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES } from "../../test-support/databases.js";
import { startChainCoordinator } from "../../test-support/on-chain-job.js";
import { ok, request, signInAs, until } from "../../test-support/rest.js";
import { testManifest } from "../../test-support/test-manifest.js";
import { ChainIntentEntity } from "../chain/chain-intent.entity.js";
import type { Coordinator } from "../create-coordinator.js";
import { TrainersService } from "./trainers.service.js";

// The real AWS Nitro document (test/vectors/nitro/README.md): sha256 69d5…365f, valid as of unix 1732990000 (1 h 44
// min after it was issued), its leaf certificate valid until 2024-11-30 19:22:48 UTC.
const VECTOR = readFileSync(new URL("../../../test/vectors/nitro/attestation.cose.bin", import.meta.url));
const VECTOR_SHA256 = "69d51f984229a1bc4009ac2029b1a7f5d255ada7239004b8cda5d06dcdbd365f";
const AT = 1_732_990_000_000;
const LEAF_NOT_AFTER_S = Date.UTC(2024, 10, 30, 19, 22, 48) / 1000;
/** `IAttestationRegistry.TeeKind.AwsNitro`. */
const AWS_NITRO = 0n;

/** Read by hand from the document's bytes: after a CBOR text key comes bstr(length) as 0x58 <length> <bytes>. */
function fieldByHand(key: string, offset: number, length: number): Buffer {
  const at = VECTOR.indexOf(Buffer.from(key, "latin1")) + key.length + offset;
  return VECTOR.subarray(at, at + length);
}
const PCR0 = fieldByHand("dpcrs", 4, 48); // the "pcrs" map header, then `0, 0x58 0x30` and PCR0
const SIGNER = computeAddress(`0x${fieldByHand("jpublic_key", 2, 65).toString("hex")}`).toLowerCase() as Address;
const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;
const MANIFEST = testManifest(100, "the attested enclave's records");

/**
 * The document's signer enrols a dataset on DatasetRegistry (nobody holds its key: the local chain impersonates
 * it) and a researcher creates a job on it requiring attested Nitro trainers; returns once the coordinator adopted it.
 */
async function attestedJob(coordinator: Coordinator): Promise<{ datasetId: DatasetId; jobId: JobId }> {
  await chain.fund(SIGNER);
  await chain.rpc("hardhat_impersonateAccount", [SIGNER]);
  const owner = await chain.ethers.getImpersonatedSigner(SIGNER);
  const datasetId = String(
    await chain.registerDataset(owner, "ipfs://dataset", { commitment: MANIFEST.commitment }),
  ) as DatasetId;
  const { modelSpecHash } = await ok<{ modelSpecHash: string }>(
    coordinator.url,
    "POST",
    "/chain/job-specs",
    {
      name: "attested",
      model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
      datasetIds: [datasetId],
      rounds: 1,
      learningRate: 0.1,
      attestation: { required: true, kinds: ["nitro"] },
    },
    await signInAs(coordinator.url, Wallet.createRandom(), coordinator.config.chainId),
  );
  const jobId = String(
    await chain.createJob({ coordinator: sender.address, rounds: 1, modelSpecHash, datasetIds: [BigInt(datasetId)] }),
  ) as JobId;
  await until("the job to be adopted", async () =>
    (await request(coordinator.url, "GET", `/jobs/${jobId}`)).status === 200 ? true : undefined,
  );
  return { datasetId, jobId };
}

let chain: LocalChain;
const sender = new Wallet(hexlify(randomBytes(32)));

beforeAll(async () => {
  expect(sha256(VECTOR).slice(2)).toBe(VECTOR_SHA256);
  // The chain starts at the document's time, so the record's expiry (its leaf certificate's end) is in its future;
  // the coordinator's sender holds REGISTRAR_ROLE from the deployment, and governance (here the deployer, admin of
  // this ungoverned chain) allowlists the document's PCR0, recorded as its SHA-256.
  chain = await LocalChain.start({ initialDate: new Date(AT), attestationRegistrar: sender.address });
  await chain.fund(sender.address);
  const registry = chain.system.contracts.attestation.connect(chain.deployer);
  await (await registry.setMeasurementAllowed(AWS_NITRO, sha256(PCR0), true)).wait();
});

afterAll(async () => {
  await chain?.stop();
});

describe.each(DATABASES)("production admission with the real Nitro document on $name", (database) => {
  it("admits only the key in its public_key, refuses the simulator, and records the key on AttestationRegistry", async () => {
    const db = await database.setup();
    const coordinator = await startChainCoordinator(
      chain,
      db,
      sender,
      { clock: () => AT },
      { mode: "production", attestationMaxAgeS: 3 * 3_600, allowedMeasurements: { nitro: [PCR0.toString("hex")] } },
    );
    try {
      const { datasetId, jobId } = await attestedJob(coordinator);
      // What the socket gateway calls after the handshake's sign-in, and for `manifest`, `join` and `attest` (nobody
      // holds the document's private key, so no socket can sign in as its signer: the admission is checked here).
      const trainers = coordinator.app.get(TrainersService);
      await trainers.login(SIGNER, datasetId);
      await trainers.recordManifest(datasetId, MANIFEST.manifest);
      const attest = { jobId, kind: "nitro" as const, document: new Uint8Array(VECTOR) };

      // The same document presented for any other key (the challenge is per key; admission checks the binding).
      const other = Wallet.createRandom().address.toLowerCase() as Address;
      await trainers.challenge(other, datasetId, jobId);
      await expect(trainers.admit(other, datasetId, attest)).rejects.toMatchObject({
        code: "ATTESTATION_REJECTED",
        reason: "public-key-mismatch",
      });

      const simulated = Wallet.createRandom().address.toLowerCase() as Address;
      const nonce = await trainers.challenge(simulated, datasetId, jobId);
      const document = await new SimulatedEnclave({ warn: () => {}, now: () => AT }).attest(
        attestationUserData({ signer: simulated, jobId, coordinatorNonce: nonce }),
        Buffer.from(nonce.slice(2), "hex"),
      );
      await expect(
        trainers.admit(simulated, datasetId, { jobId, kind: "simulated", document: new Uint8Array(document.bytes) }),
      ).rejects.toMatchObject({ reason: "simulated-in-production" });

      await trainers.challenge(SIGNER, datasetId, jobId);
      const participant = await trainers.admit(SIGNER, datasetId, attest);
      expect(participant).toMatchObject({
        trainer: SIGNER,
        teeKind: "nitro",
        simulated: false,
        measurement: PCR0.toString("hex"),
        attestationHash: sha256(VECTOR),
      });

      // The outbox records it on chain (a second database's coordinator finds it there already): read back with
      // the typed contract.
      const intents = coordinator.app.get(DataSource).getRepository(ChainIntentEntity);
      const intent = await until("the record to be confirmed", async () => {
        const row = await intents.findOneBy({ kind: "recordAttestation" });
        return row?.status === "confirmed" ? row : undefined;
      });
      expect(intent.args).toEqual({
        signer: SIGNER,
        kind: Number(AWS_NITRO),
        measurement: sha256(PCR0),
        attestationHash: sha256(VECTOR),
        expiry: LEAF_NOT_AFTER_S,
      });
      const registry = chain.system.contracts.attestation;
      expect(await registry.isAttested(SIGNER)).toBe(true);
      const record = await registry.getAttestation(SIGNER);
      expect(record.kind).toBe(AWS_NITRO);
      expect(record.measurement).toBe(sha256(PCR0));
      expect(record.attestationHash).toBe(sha256(VECTOR));
      expect(record.expiry).toBe(BigInt(LEAF_NOT_AFTER_S));
      expect(record.registrar).toBe(sender.address);
      expect(await registry.isAttested(other)).toBe(false);
    } finally {
      await coordinator.close();
      await db.cleanup();
    }
  });
});
