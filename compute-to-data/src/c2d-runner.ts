import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Enclave } from "@tributary/enclave-compute";
import { featureSize, type LabelledExamples } from "@tributary/model-runtime";
import { SecureRandom } from "@tributary/privacy";
import {
  type Address,
  type Bytes32,
  type C2dNodeInfo,
  C2dRunBodySchema,
  type C2dRunResult,
  c2dRequestDigest,
  type DatasetId,
  parseInput,
  recoverC2dRunRequestSigner,
  TributaryError,
} from "@tributary/protocol";
import type { DatasetPrivacyGuard } from "@tributary/trainer-agent";
import { type DataShape, outputHash, paramsHash } from "./algorithms/c2d-algorithm.js";
import type { AllowedAlgorithm } from "./algorithms/catalogue.js";
import { checkEpsilonCap, checkGranularity, checkOutput, type OutputPolicy } from "./output-policy.js";
import { checkRunRequest } from "./request-checks.js";
import { c2dRunBinding } from "./run-binding.js";
import { type C2dRunLogEntry, c2dRunLogFile, RunLog } from "./run-log.js";

export interface C2dNodeOptions {
  readonly datasetId: DatasetId;
  /** The manifest commitment of the files `dataset` was loaded from (checked against the chain by the caller). */
  readonly commitment: Bytes32;
  readonly dataset: LabelledExamples;
  /** The dataset's privacy guard: the trainer agent's, on the same ledger file. */
  readonly guard: DatasetPrivacyGuard;
  /** The enclave this process runs in (or the simulator, loudly): every run's output is attested from it. */
  readonly enclave: Enclave;
  readonly allowed: readonly AllowedAlgorithm[];
  readonly researchers: "any" | readonly Address[];
  readonly policy: OutputPolicy & { readonly maxRequestTtlS: number };
  /** Where the run log is kept (the trainer's state directory, beside the privacy ledger). */
  readonly stateDir: string;
  /** Injected clock (Unix ms), for tests. */
  readonly now?: () => number;
}

type Draft = { -readonly [K in keyof C2dRunLogEntry]: C2dRunLogEntry[K] };

/**
 * The owner's compute-to-data node, without its HTTP: it runs one request at a time, inside the process that holds
 * the enclave and the records. A request is checked (`checkRunRequest`), its params parsed and checked against the
 * data's public shape, its granularity and ε checked against the owner's policy, its cost charged to the dataset's
 * ledger (refused with nothing charged when the budget cannot pay) before a record is read, the algorithm run, its
 * output checked against what the params declare, and the output's hash bound into an attestation whose nonce is
 * the request's digest. Every request, accepted or refused, is one line of the run log before the answer leaves.
 */
export class C2dRunner {
  readonly #random = new SecureRandom();
  readonly #now: () => number;
  readonly #shape: DataShape;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: C2dNodeOptions,
    readonly log: RunLog,
  ) {
    this.#now = options.now ?? Date.now;
    const { dataset } = options;
    this.#shape = {
      records: dataset.count,
      featureSize: featureSize(dataset),
      featureShape: [...dataset.featureShape],
      numClasses: dataset.numClasses,
    };
  }

  static async open(options: C2dNodeOptions): Promise<C2dRunner> {
    const file = c2dRunLogFile(path.resolve(options.stateDir), options.datasetId);
    const log = await RunLog.open(file, Math.floor((options.now ?? Date.now)() / 1000));
    return new C2dRunner(options, log);
  }

  /** What the node serves and on what terms, with the dataset's spent ε as on disk now. */
  async info(): Promise<C2dNodeInfo> {
    const { options } = this;
    const spent = await options.guard.refresh();
    const budget = options.guard.budget();
    return {
      datasetId: options.datasetId,
      datasetCommitment: options.commitment,
      records: this.#shape.records,
      featureShape: [...this.#shape.featureShape],
      numClasses: this.#shape.numClasses,
      algorithms: options.allowed.map(({ algorithm, hash }) => ({
        name: algorithm.name,
        version: algorithm.version,
        hash,
        description: algorithm.description,
      })),
      researchers: options.researchers === "any" ? "any" : [...options.researchers],
      policy: {
        minRecordsPerCell: options.policy.minRecordsPerCell,
        maxEpsilonPerRun: options.policy.maxEpsilonPerRun,
        maxRequestTtlS: options.policy.maxRequestTtlS,
      },
      privacy: { epsilonBudget: budget.epsilon, delta: budget.delta, epsilonSpent: spent.epsilon },
      tee: { kind: options.enclave.kind, simulated: options.enclave.simulated },
    };
  }

  /** Runs one request (`POST /v1/runs`' body), after those before it; throws the refusal, logged. */
  run(body: unknown): Promise<C2dRunResult> {
    const next = this.#queue.catch(() => {}).then(() => this.#run(body));
    this.#queue = next;
    return next;
  }

  async #run(body: unknown): Promise<C2dRunResult> {
    const entry: Draft = {
      runId: randomUUID(),
      at: new Date(this.#now()).toISOString(),
      status: "refused",
      request: null,
      signer: null,
      requestDigest: null,
      paramsHash: null,
      refusal: null,
      privacy: null,
      outputHash: null,
      attestation: null,
    };
    try {
      const result = await this.#execute(body, entry);
      entry.status = "completed";
      await this.log.append(entry);
      return result;
    } catch (error) {
      const known = error instanceof TributaryError;
      entry.refusal = {
        code: known ? error.code : "INTERNAL",
        message: known ? error.message : `the run failed: ${(error as Error).message}`,
      };
      await this.log.append(entry);
      throw error;
    }
  }

  async #execute(body: unknown, entry: Draft): Promise<C2dRunResult> {
    const { options } = this;
    const parsed = parseInput(C2dRunBodySchema, body, "body");
    const { request } = parsed;
    const digest = c2dRequestDigest(request);
    entry.request = request;
    entry.requestDigest = digest;
    entry.paramsHash = paramsHash(parsed.params);
    entry.signer = recoverC2dRunRequestSigner(request, parsed.signature);
    const nowS = Math.floor(this.#now() / 1000);
    const { algorithm, hash } = checkRunRequest(request, entry.signer, entry.paramsHash, nowS, {
      datasetId: options.datasetId,
      commitment: options.commitment,
      allowed: options.allowed,
      researchers: options.researchers,
      maxRequestTtlS: options.policy.maxRequestTtlS,
      log: this.log,
    });
    const params = parseInput(algorithm.params, parsed.params, "params");
    algorithm.checkParams(params, this.#shape);
    checkGranularity(algorithm, params, this.#shape, options.policy);
    const budget = options.guard.budget();
    checkEpsilonCap(algorithm.name, algorithm.epsilon(params, this.#shape, budget.delta), options.policy);
    // Charged (and on disk) before a record is read; a budget that cannot pay throws here, charging nothing.
    const run = await algorithm.charge(params, {
      dataset: options.dataset,
      charger: options.guard,
      random: this.#random,
      label: `c2d:${algorithm.name}`,
      budgetDelta: budget.delta,
      runId: entry.runId,
    });
    const privacy = {
      epsilonCharged: run.charged.epsilon,
      delta: run.charged.delta,
      epsilonSpent: options.guard.spent().epsilon,
    };
    entry.privacy = privacy;
    const output = checkOutput(algorithm, params, this.#shape, await run.compute());
    const released = outputHash(output);
    const binding = c2dRunBinding({ algorithmHash: hash, paramsHash: entry.paramsHash, outputHash: released });
    const document = await options.enclave.attest(binding, Buffer.from(digest.slice(2), "hex"));
    const attestation = {
      kind: document.kind,
      simulated: options.enclave.simulated,
      document: Buffer.from(document.bytes).toString("base64"),
      binding: Buffer.from(binding).toString("hex"),
      nonce: digest.slice(2),
    };
    entry.outputHash = released;
    entry.attestation = attestation;
    return {
      runId: entry.runId,
      datasetId: options.datasetId,
      algorithm: algorithm.name,
      algorithmHash: hash,
      paramsHash: entry.paramsHash,
      outputHash: released,
      output,
      privacy: { ...privacy, epsilonBudget: budget.epsilon },
      attestation,
    };
  }
}
