import { createHash, randomBytes, randomInt } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalChain } from "@tributary/contracts/local-chain";
import { connectTrainingJobs } from "@tributary/contracts/typed";
import {
  type Address,
  buildPayoutTree,
  buildRoundTree,
  computePayouts,
  type JobLedger,
  JobLedgerSchema,
  type LedgerLeaf,
  type LedgerRound,
  metricsHash,
  type PayoutPlan,
  type PayoutProof,
  parseInput,
  SCORE_SCALE,
  signModelUpdate,
  type TypedDataSigner,
  tributaryDomain,
} from "@tributary/protocol";
import type { ContractTransactionResponse, Wallet } from "ethers";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";

/**
 * Plays a coordinator against a real local chain, by hand: creates a job naming a funded wallet as coordinator,
 * builds every round's leaves from random updates with protocol's tree functions, anchors the roots, finalises
 * with computePayouts' root and total, and writes the ledger the coordinator would serve. The CIDs come from
 * multiformats (the reference implementation of CIDs) over node:crypto's SHA-256, so a digest the verifier reads
 * from a CID is checked against a hash it did not compute itself.
 */

/** CIDv1, raw codec (0x55), sha2-256: what an IPFS node names these bytes. */
export function cidOf(bytes: Uint8Array): string {
  return CID.create(1, 0x55, Digest.create(0x12, createHash("sha256").update(bytes).digest())).toString();
}

export function sha256Hex(bytes: Uint8Array): `0x${string}` {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Shares of 1e18 in proportion to `weights`: floors, the remainder to the first entry (sum exactly 1e18). */
function shares(weights: readonly bigint[]): bigint[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0n);
  const result = weights.map((weight) => (weight * SCORE_SCALE) / total);
  const left = SCORE_SCALE - result.reduce((sum, share) => sum + share, 0n);
  const first = result.findIndex((share) => share > 0n);
  result[first] = (result[first] as bigint) + left;
  return result;
}

/**
 * Signs a leaf as its trainer's agent signs the update (`signModelUpdate`, the round as the coordinator numbers
 * it: chain round − 1) and returns the fields a coordinator serves with it. `signer` need not be the leaf's trainer:
 * a test signs with the wrong key to play a forged ledger.
 */
export async function signLeaf(
  leaf: LedgerLeaf,
  where: { jobId: bigint; chainRound: number; chainId: number; trainingJobs: string },
  signer: TypedDataSigner,
): Promise<Required<Pick<LedgerLeaf, "signature" | "nonce" | "delta" | "metricsHash">>> {
  const metrics = { loss: 0.25 + where.chainRound / 8, accuracy: 0.5 };
  const nonce = leaf.nonce ?? (`0x${randomBytes(32).toString("hex")}` as `0x${string}`);
  const delta = leaf.delta ?? 1e-5;
  const header = {
    jobId: String(where.jobId),
    round: where.chainRound - 1,
    trainer: leaf.trainer,
    datasetId: leaf.datasetId,
    numExamples: Number(leaf.numExamples),
    updateHash: leaf.updateHash,
    metrics,
    epsilonSpent: leaf.epsilonSpent,
    delta,
    nonce,
  } as unknown as Parameters<typeof signModelUpdate>[2];
  const domain = tributaryDomain(where.chainId, where.trainingJobs as `0x${string}`);
  const { signature } = await signModelUpdate(signer, domain, header);
  return { signature, nonce, delta, metricsHash: metricsHash(metrics) };
}

export interface PlayedJob {
  readonly jobId: bigint;
  readonly coordinator: Wallet;
  readonly trainers: readonly Wallet[];
  /** The ledger a faithful coordinator serves (a fresh deep copy each call: tests alter their own). */
  ledger(): JobLedger;
  /** Every update and model blob, by CID. */
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  readonly plan: PayoutPlan;
  readonly escrow: bigint;
  readonly proofs: ReadonlyMap<Address, PayoutProof>;
}

async function mined(tx: Promise<unknown>): Promise<string> {
  const response = (await tx) as ContractTransactionResponse;
  await response.wait();
  return response.hash;
}

/**
 * A job of `rounds` rounds with `trainers` contributors. `examples` scoring: scores are each leaf's share of the
 * round's examples; otherwise (`leave-one-out`) random shares. In the last round the last trainer is rejected
 * (score 0). `finalize: false` stops after anchoring.
 */
export async function playJob(
  chain: LocalChain,
  options: {
    rounds: number;
    trainers: number;
    scoring: "examples" | "leave-one-out";
    reward?: bigint;
    finalize?: boolean;
    /** Each leaf carries its trainer's update signature (default) or none, as an older coordinator serves it. */
    signed?: boolean;
    /** The attestation kind every leaf names (default `sgx`; none when unsigned). */
    attestationKind?: LedgerLeaf["attestationKind"];
    /**
     * Each trainer's dataset's price per round on DatasetRegistry (default 5 TRIB; one for all, or one per trainer):
     * its payout floor per round it takes part in.
     */
    pricePerRound?: bigint | readonly bigint[];
    /** Play a coordinator that pays by score only, ignoring the datasets' floors (finalised on chain so). */
    ignoreFloors?: boolean;
    /** Funded accounts to be the first trainers (each enrols a fresh dataset); the rest are new. */
    owners?: readonly Wallet[];
  },
): Promise<PlayedJob> {
  const coordinator = await chain.fundedWallet();
  const given = options.owners ?? [];
  const trainers = [...given, ...(await chain.fundedWallets(options.trainers - given.length))];
  const priceOf = (index: number): bigint => {
    const price = options.pricePerRound ?? 5n * 10n ** 18n;
    return typeof price === "bigint" ? price : (price[index] as bigint);
  };
  const datasetIds: string[] = [];
  for (const [index, trainer] of trainers.entries()) {
    const pricePerRound = priceOf(index);
    const id = await chain.registerDataset(trainer.connect(chain.provider()), "ipfs://played", { pricePerRound });
    datasetIds.push(String(id));
  }
  const escrow = options.reward ?? 1_000n * 10n ** 18n;
  const jobId = await chain.createJob({
    coordinator: coordinator.address,
    rounds: options.rounds,
    reward: escrow,
    datasetIds: datasetIds.map(BigInt),
  });
  const provider = chain.provider();
  const jobs = connectTrainingJobs(chain.system.deployment.contracts.TrainingJobs, coordinator.connect(provider));
  const blobs = new Map<string, Uint8Array>();
  const rounds: LedgerRound[] = [];
  const cumulative = new Map<Address, bigint>();
  const validationSetCid = cidOf(randomBytes(64));
  for (let round = 1; round <= options.rounds; round++) {
    const rejected = (index: number) =>
      round === options.rounds && index === trainers.length - 1 && trainers.length > 1;
    const updates = trainers.map(() => randomBytes(64 + randomInt(200)));
    const numExamples = trainers.map(() => BigInt(100 + randomInt(900)));
    const weights = trainers.map((_, index) =>
      rejected(index)
        ? 0n
        : options.scoring === "examples"
          ? (numExamples[index] as bigint)
          : BigInt(1 + randomInt(1_000_000)),
    );
    const scores = shares(weights);
    const leaves: LedgerLeaf[] = [];
    for (const [index, trainer] of trainers.entries()) {
      const bytes = updates[index] as Uint8Array;
      const cid = cidOf(bytes);
      blobs.set(cid, bytes);
      const leaf = {
        trainer: trainer.address.toLowerCase() as Address,
        updateHash: sha256Hex(bytes),
        numExamples: String(numExamples[index]),
        score: String(scores[index]),
        datasetId: datasetIds[index] as string,
        epsilonSpent: 0.5 * round,
        updateCid: cid,
        rejected: rejected(index),
      } as LedgerLeaf;
      const where = {
        jobId,
        chainRound: round,
        chainId: chain.chainId,
        trainingJobs: chain.system.deployment.contracts.TrainingJobs,
      };
      leaves.push(
        options.signed === false
          ? leaf
          : { ...leaf, ...(await signLeaf(leaf, where, trainer)), attestationKind: options.attestationKind ?? "sgx" },
      );
    }
    for (const leaf of leaves) {
      cumulative.set(leaf.trainer, (cumulative.get(leaf.trainer) ?? 0n) + BigInt(leaf.score));
    }
    const model = randomBytes(512);
    const modelCid = cidOf(model);
    blobs.set(modelCid, model);
    const root = buildRoundTree(
      leaves.map((leaf) => ({ ...leaf, numExamples: BigInt(leaf.numExamples), score: BigInt(leaf.score) })),
    ).root;
    const txHash = await mined(jobs.anchorRound(jobId, round, root, sha256Hex(model)));
    rounds.push({
      round,
      updatesRoot: root,
      modelHash: sha256Hex(model),
      modelCid,
      scoring: {
        method: options.scoring,
        evaluations: options.scoring === "examples" ? 0 : trainers.length + 1,
        elapsedMs: 3,
      },
      anchor: { status: "confirmed", txHash: txHash as `0x${string}` },
      leaves,
    } as LedgerRound);
  }
  const feeBps = 250;
  // Floors: price × the rounds each trainer took part in (all but the last trainer's rejected last round).
  const floorOf = (index: number) =>
    options.ignoreFloors === true
      ? 0n
      : priceOf(index) * BigInt(options.rounds - (index === trainers.length - 1 && trainers.length > 1 ? 1 : 0));
  const plan = computePayouts({
    escrow,
    feeBps,
    contributions: [...cumulative].map(([trainer, score]) => ({
      trainer,
      score,
      floor: floorOf(trainers.findIndex((wallet) => wallet.address.toLowerCase() === trainer)),
    })),
  });
  const tree = buildPayoutTree(plan.leaves);
  let finalizeTx: string | null = null;
  if (options.finalize !== false) {
    finalizeTx = await mined(jobs.finalizeJob(jobId, tree.root, plan.payoutTotal));
  }
  provider.destroy();
  const proofs = new Map<Address, PayoutProof>();
  plan.leaves.forEach((leaf, index) => {
    proofs.set(leaf.trainer, {
      jobId: String(jobId),
      trainer: leaf.trainer,
      amount: String(leaf.amount),
      payoutRoot: tree.root,
      proof: tree.proof(index),
    } as PayoutProof);
  });
  const json = {
    jobId: String(jobId),
    chainId: chain.chainId,
    trainingJobs: chain.system.deployment.contracts.TrainingJobs,
    status: options.finalize === false ? "running" : "finalized",
    escrow: String(escrow),
    feeBps,
    scoring: options.scoring === "examples" ? { method: "examples" } : { method: "leave-one-out", validationSetCid },
    rounds,
    epsilonByDataset: Object.fromEntries(datasetIds.map((id) => [id, 0.5 * options.rounds])),
    payout:
      options.finalize === false
        ? null
        : {
            payoutRoot: tree.root,
            payoutTotal: String(plan.payoutTotal),
            fee: String(plan.fee),
            refund: String(plan.refund),
            leaves: plan.leaves.map((leaf) => ({
              trainer: leaf.trainer,
              amount: String(leaf.amount),
              cumulativeScore: String(cumulative.get(leaf.trainer)),
            })),
            finalize: { status: "confirmed", txHash: finalizeTx },
          },
  };
  const text = JSON.stringify(parseInput(JobLedgerSchema, json, "fixture ledger"));
  return {
    jobId,
    coordinator,
    trainers,
    ledger: () => parseInput(JobLedgerSchema, JSON.parse(text), "fixture ledger"),
    blobs,
    plan,
    escrow,
    proofs,
  };
}

/** What the test coordinator serves; tests change it to play a dishonest or broken coordinator. */
export interface ServedState {
  /** Ledgers by job id (any JSON: a test may serve an invalid one). */
  readonly ledgers: Map<string, unknown>;
  readonly proofs: Map<string, Map<string, unknown>>;
  readonly blobs: Map<string, Map<string, Uint8Array>>;
}

export interface LedgerServer {
  readonly url: string;
  readonly state: ServedState;
  /** Serves `job` faithfully (replacing what was served for it). */
  serve(job: PlayedJob): void;
  close(): Promise<void>;
}

function notFound(message: string): { status: number; body: string } {
  return { status: 404, body: JSON.stringify({ error: { code: "NOT_FOUND", message } }) };
}

/** A tiny HTTP server answering the coordinator's three ledger routes from `state`, and its sign-in routes. */
export async function startLedgerServer(): Promise<LedgerServer> {
  const state: ServedState = { ledgers: new Map(), proofs: new Map(), blobs: new Map() };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0] as string;
    const parts = path.split("/").filter((part) => part.length > 0);
    // Sign-in, as the coordinator answers it (any signed message is accepted here: not what is under test).
    if (parts[0] === "auth" && parts[1] === "nonce") {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ nonce: "0123456789abcdef" }));
      return;
    }
    if (parts[0] === "auth" && parts[1] === "siwe") {
      const session = { token: "test-session", address: `0x${"00".repeat(20)}`, expiresAt: new Date().toISOString() };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(session));
      return;
    }
    if (parts[0] !== "ledger" || parts[1] !== "jobs" || parts[2] === undefined) {
      const answer = notFound(`no route ${path}`);
      response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
      return;
    }
    const jobId = parts[2];
    if (parts.length === 3) {
      const ledger = state.ledgers.get(jobId);
      if (ledger === undefined) {
        const answer = notFound(`job ${jobId} has no ledger`);
        response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
        return;
      }
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(ledger));
      return;
    }
    if (parts[3] === "proof" && parts[4] !== undefined) {
      const proof = state.proofs.get(jobId)?.get(parts[4].toLowerCase());
      const answer =
        proof === undefined
          ? notFound(`job ${jobId} has no payout for ${parts[4]}`)
          : { status: 200, body: JSON.stringify(proof) };
      response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
      return;
    }
    if (parts[3] === "blobs" && parts[4] !== undefined) {
      const blob = state.blobs.get(jobId)?.get(parts[4]);
      if (blob === undefined) {
        const answer = notFound(`job ${jobId} names no blob ${parts[4]}`);
        response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
        return;
      }
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(blob);
      return;
    }
    const answer = notFound(`no route ${path}`);
    response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    serve(job) {
      const id = String(job.jobId);
      state.ledgers.set(id, job.ledger());
      state.proofs.set(id, new Map([...job.proofs].map(([trainer, proof]) => [trainer, structuredClone(proof)])));
      state.blobs.set(id, new Map(job.blobs));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
