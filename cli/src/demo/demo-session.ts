import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type Coordinator, createCoordinator } from "@tributary/coordinator";
import { type JobId, type JobSpecInput, ValidationSetUploadSchema } from "@tributary/protocol";
import { Wallet } from "ethers";
import { ChainSession } from "../chain/chain-session.js";
import { Output } from "../chain/output.js";
import { CoordinatorClient } from "../job/coordinator-client.js";
import { JobViewSchema } from "../job/coordinator-views.js";
import { ProgressView } from "../job/progress-view.js";
import { encodeValidationRecords } from "../job/validation-records.js";
import { watchJob } from "../job/watch-job.js";
import { DemoChain } from "./demo-chain.js";
import { createDemoJobOnChain, demoJobSpec } from "./demo-job.js";
import { type MarketOptions, type MarketResult, runMarket } from "./demo-market.js";
import { DEMO_MODELS } from "./demo-models.js";
import { orderDemoDatasets, publishDemoDataset } from "./demo-ocean.js";
import { type DemoOwner, enrolOwner, ownerTrainerArgs } from "./demo-owners.js";
import { builtPortalDir, demoPortalConfig, portalUrl, writeDevWallet } from "./demo-portal.js";
import { waitFor } from "./demo-rounds.js";
import type { DemoJobOptions, DemoResult, DemoSessionOptions } from "./demo-session-options.js";
import { settleJob } from "./demo-settlement.js";
import { type Shards, writeShards } from "./demo-shards.js";
import type { OceanDemoResult } from "./ocean-summary.js";
import { quietLogger } from "./quiet-logger.js";
import { type TrainerEvent, TrainerProcess } from "./trainer-processes.js";

/**
 * A coordinator on embedded defaults with one trainer agent process per data owner, ready to run jobs one
 * after another. On a chain, each owner has its own account (its trainer agent's key), enrols its shard on
 * DatasetRegistry by its manifest commitment and is paid from each job's escrow; off-chain, shards are enrolled
 * over REST.
 */
export class DemoSession {
  #view: ProgressView;
  readonly #owners: DemoOwner[] = [];
  /** The researcher of off-chain jobs (on a chain it is the chain's researcher account). */
  readonly #offChainResearcher = Wallet.createRandom();
  /** With `ocean`: what the owners published on Ocean Protocol and the researcher ordered. */
  #ocean: OceanDemoResult | undefined;

  private constructor(
    readonly coordinator: Coordinator,
    readonly chain: DemoChain | undefined,
    readonly trainers: TrainerProcess[],
    private readonly shards: Shards,
    /** Training backend each trainer agent reported, by index (filled in as they start). */
    private readonly backends: ReadonlyMap<number, string>,
    private readonly options: DemoSessionOptions,
    private readonly write: (text: string) => void,
    view: ProgressView,
  ) {
    this.#view = view;
  }

  static async start(options: DemoSessionOptions, write: (text: string) => void): Promise<DemoSession> {
    const view = new ProgressView(options.interactive, write);
    const shards = await writeShards(
      { ...options, holdOutValidation: options.chain !== undefined || options.holdOutValidation === true },
      view,
    );
    const chain = options.chain === undefined ? undefined : await DemoChain.open(options.chain);
    if (chain !== undefined) view.note(describeChain(chain));
    if (options.ocean === true) {
      if (chain === undefined) throw new Error("Ocean Protocol needs the chain");
      try {
        const ocean = await chain.ocean();
        view.note(
          `Ocean Protocol: ERC721Factory ${ocean.ERC721Factory}, Dispenser ${ocean.Dispenser}, FactoryRouter ${ocean.Router} (from @oceanprotocol/contracts ${chain.local ? "deployed on the local chain" : "of the deployment file"})`,
        );
      } catch (error) {
        await chain.close();
        throw error;
      }
    }
    // Each run keeps its own coordinator state beside its shards: a demo's trainers live and die with the run,
    // so the jobs of an earlier run must not linger in this one.
    let session: DemoSession | undefined;
    const note = (text: string) => (session === undefined ? view.note(text) : session.#view.note(text));
    let coordinator: Coordinator;
    const portalDir = chain === undefined ? undefined : await builtPortalDir();
    try {
      coordinator = await createCoordinator(
        {
          port: options.port,
          dataDir: path.join(shards.runDir, "coordinator"),
          // One replica: its job leases guard against no other. A CNN round's leave-one-out scoring holds the event
          // loop for longer than the default 15 s lease on a loaded machine, so the lease lapsed mid-aggregation,
          // the round transition was fenced off and retried from scratch, forever.
          leaseTtlS: 600,
          ...(chain === undefined
            ? {}
            : {
                // The demo's trainers run on the TEE simulator: development mode, asked for explicitly.
                mode: "development" as const,
                ...chain.coordinatorConfig(),
                ...(portalDir === undefined ? {} : { portal: demoPortalConfig(portalDir, chain, shards.runDir) }),
              }),
        },
        { logger: quietLogger(note) },
      );
    } catch (error) {
      await chain?.close();
      throw error;
    }
    view.note(
      `coordinator: ${coordinator.url} (REST docs ${coordinator.url}/docs), database ${coordinator.database}, mode ${coordinator.config.mode}: TEE attestations are SIMULATED`,
    );
    const connected = new Set<number>();
    const backends = new Map<number, string>();
    session = new DemoSession(coordinator, chain, [], shards, backends, options, write, view);
    try {
      for (let index = 0; index < options.clients; index++) {
        await session.#addOwner(index, (i, event) => {
          if (event.type === "ready") backends.set(i, String(event.backend));
          if (event.type === "connected") connected.add(i);
          if (["error", "refused", "rejected", "job-refused"].includes(event.type)) {
            note(`  trainer ${i + 1} ${event.type}: ${String(event.message ?? "")}`);
          }
          // With Ocean: what each owner's agent checks, the researcher's order among it.
          if (options.ocean === true && event.type === "notice" && String(event.message).includes("Ocean")) {
            note(`  trainer ${i + 1}: ${String(event.message)}`);
          }
        });
      }
      await waitFor(() => connected.size === options.clients, 180_000, "trainer agents to connect", session.trainers);
      if (chain !== undefined && portalDir !== undefined) {
        if (chain.local) {
          // Only the demo's own chain: on another (`--rpc`) the researcher's key is the user's, never written out for
          // a page, and its funds are not the demo's to hand a fresh buyer.
          await writeDevWallet(shards.runDir, chain, session.#owners);
          view.note(
            `portal: ${portalUrl(coordinator)} (its DEVELOPMENT WALLET holds the demo's keys: never use it with real funds)`,
          );
        } else {
          view.note(`portal: ${portalUrl(coordinator)} (connect a browser wallet: no development wallet with --rpc)`);
        }
      }
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /**
   * Owner `index` enrols its directory as `tributary dataset enrol` does (on DatasetRegistry from its own account,
   * or over REST off-chain) and starts its trainer agent process, the command `dataset enrol` prints, with its key.
   */
  async #addOwner(index: number, onEvent: (index: number, event: TrainerEvent) => void) {
    const options = this.options;
    const policy = { ...options, pricePerRound: options.pricePerRound ?? 0n };
    const owner = await enrolOwner({
      index,
      dir: this.shards.owners[index] as string,
      coordinator: this.coordinator,
      chain: this.chain,
      policy,
      note: (line) => this.#view.note(line),
    });
    this.#owners.push(owner);
    if (this.options.ocean === true) {
      const chain = this.chain as DemoChain;
      const ocean = await chain.ocean();
      this.#ocean ??= { factory: ocean.ERC721Factory, nfts: [], datatokens: [], dids: [], orders: [] };
      await publishDemoDataset({
        out: new Output(false, (text) => this.#view.note(`owner ${index + 1}: ${text.replace(/\n$/, "")}`), false),
        chain,
        ocean,
        owner,
        coordinatorUrl: this.coordinator.url,
        result: this.#ocean,
      });
    }
    const attack =
      options.byzantine !== undefined && index < options.byzantine.count ? options.byzantine.attack : undefined;
    this.trainers.push(
      new TrainerProcess({
        index,
        privateKey: owner.wallet.privateKey,
        args: ownerTrainerArgs({
          index,
          owner,
          coordinatorUrl: this.coordinator.url,
          chain: await this.#ownersChain(),
          runDir: this.shards.runDir,
          policy,
        }),
        attack,
        onEvent,
        onLine: (i, line) => this.#view.note(`  trainer ${i + 1}: ${line}`),
      }),
    );
  }

  /**
   * On a chain, where the owners' agents check each job themselves: the RPC endpoint and the deployment, written
   * to the run directory as an owner would keep its deployment file.
   */
  async #ownersChain(): Promise<{ rpcUrl: string; deploymentFile: string } | undefined> {
    if (this.chain === undefined) return undefined;
    const deploymentFile = path.join(this.shards.runDir, "deployment.json");
    await writeFile(deploymentFile, JSON.stringify(this.chain.deployment));
    return { rpcUrl: this.chain.rpcUrl, deploymentFile };
  }

  /**
   * Launches one job, shows its rounds as they finish and returns its metrics once it completes. On a chain the
   * researcher uploads the JobSpec (and the validation set it scores with), creates and funds the job on
   * TrainingJobs and the coordinator adopts it; once the payouts are finalised every owner claims, the researcher
   * reclaims the rest and the ledger is verified against the chain. Off-chain the job is created over REST.
   */
  async runJob(job: DemoJobOptions): Promise<DemoResult> {
    const started = performance.now();
    const base = this.coordinator.url;
    this.#view = new ProgressView(this.options.interactive, this.write);
    const spec = demoJobSpec(job, {
      dataset: this.options.dataset,
      clients: this.options.clients,
      datasetIds: this.#owners.map((owner) => owner.datasetId),
    });
    const researcher = await this.#researcher();
    if (this.chain !== undefined && this.#ocean !== undefined) {
      const orders = await orderDemoDatasets({
        out: this.#output(),
        chain: this.chain,
        ocean: await this.chain.ocean(),
        owners: this.#owners,
      });
      this.#ocean.orders.splice(0, this.#ocean.orders.length, ...orders);
      this.#view.note(`the researcher holds an Ocean order for each of the ${orders.length} datasets`);
    }
    const jobId =
      this.chain === undefined
        ? (await researcher.postJson("/jobs", await this.#offChainScoring(researcher, spec, job), JobViewSchema, "job"))
            .id
        : await createDemoJobOnChain({
            out: this.#output(),
            chain: this.chain,
            coordinator: researcher,
            spec,
            job,
            validation: this.shards.validation,
          });
    this.#view.note(
      `job ${jobId}: ${job.rounds} rounds of ${spec.strategy?.name ?? "fedavg"}, ${job.model}, ${job.dpEpsilon === undefined ? "no differential privacy" : `DP-SGD to ε = ${job.dpEpsilon} (δ = 1e-5) per dataset`}${spec.scoring === undefined ? "" : `, contributions scored by ${spec.scoring.method}`}${spec.secureAggregation === undefined ? "" : `, secure aggregation (SecAgg+, t = ${spec.secureAggregation.threshold} of k = ${spec.secureAggregation.neighbours} neighbours): the coordinator sees only each round's sum`}`,
    );

    const outcome = await watchJob({
      coordinator: new CoordinatorClient(base),
      jobId,
      sink: this.#view,
      chain:
        this.chain === undefined ? undefined : { provider: this.chain.provider, trainingJobs: this.chain.trainingJobs },
      pollMs: 250,
      abort: () => (this.trainers.every((t) => t.exitedCode !== undefined) ? "every trainer agent exited" : undefined),
    });
    if (outcome.status !== "completed") throw new Error(`job ${jobId} ${outcome.status}: ${outcome.reason ?? ""}`);
    const returned = (await researcher.get(`/jobs/${jobId}`, JobViewSchema, `job ${jobId}`)).result ?? undefined;
    const byzantine = this.options.byzantine;
    const settlement =
      this.chain === undefined
        ? undefined
        : await settleJob({
            coordinatorUrl: base,
            chain: this.chain,
            jobId,
            owners: this.#owners,
            researcher,
            out: this.#output(),
          });
    const market =
      this.chain === undefined || job.market === undefined ? undefined : await this.#market(jobId, job.market);
    return {
      jobId,
      rounds: job.rounds,
      clients: this.options.clients,
      accuracy: outcome.accuracy,
      loss: outcome.loss,
      epsilonSpent: outcome.epsilonSpent,
      backend: [...new Set(this.backends.values())].join(",") || "unknown",
      database: this.coordinator.database,
      durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
      ...(byzantine === undefined || byzantine.count === 0 ? {} : { byzantine }),
      perRound: [...outcome.perRound],
      ...(returned === undefined || returned === null ? {} : { returned }),
      ...(settlement === undefined ? {} : { settlement }),
      ...(market === undefined ? {} : { market }),
      ...(this.#ocean === undefined ? {} : { ocean: { ...this.#ocean, orders: [...this.#ocean.orders] } }),
    };
  }

  /**
   * Off chain, a job scored on the researcher's held-out records (`job.scoring` other than `examples`, with a
   * session that kept them) gets them uploaded and named in its spec; the coordinator then also measures every
   * round's model on them and returns the best.
   */
  async #offChainScoring(
    researcher: CoordinatorClient,
    spec: JobSpecInput,
    job: DemoJobOptions,
  ): Promise<JobSpecInput> {
    const method = job.scoring;
    if (method === undefined || method === "examples") return spec;
    const records = this.shards.validation;
    if (records === undefined) throw new Error("this session kept no validation set (holdOutValidation)");
    const bytes = encodeValidationRecords(records, DEMO_MODELS[job.model]);
    const stored = await researcher.postBytes("/validation-sets", bytes, ValidationSetUploadSchema, "upload");
    return { ...spec, scoring: { method, validationSetCid: stored.cid } };
  }

  /**
   * The market phase of a settled job (`runMarket`): its final model listed, served, licensed and paid for per
   * request, and the licence revenue claimed by the owners. Its commands' cores read the chain as the commands do,
   * through a chain session on the RPC endpoint with the deployment file the owners keep.
   */
  async #market(jobId: JobId, options: MarketOptions): Promise<MarketResult> {
    const chain = this.chain as DemoChain;
    const records = this.shards.validation;
    if (records === undefined) throw new Error("the market needs the researcher's held-out records");
    const owners = (await this.#ownersChain()) as { rpcUrl: string; deploymentFile: string };
    const session = await ChainSession.open({ rpc: owners.rpcUrl, deployment: owners.deploymentFile });
    try {
      return await runMarket({
        chain,
        session,
        coordinatorUrl: this.coordinator.url,
        jobId,
        owners: this.#owners,
        records,
        runDir: this.shards.runDir,
        options,
        note: (line) => this.#view.note(line),
      });
    } finally {
      session.close();
    }
  }

  /**
   * A fresh session of the researcher (EIP-4361 sign-in with its key; off-chain a key of this session): it creates
   * jobs and uploads validation sets, and reads the job's models and blobs to verify the ledger.
   */
  #researcher(): Promise<CoordinatorClient> {
    const signer = this.chain?.researcher ?? this.#offChainResearcher;
    return CoordinatorClient.signIn(this.coordinator.url, signer, this.coordinator.config.chainId);
  }

  /** Where the researcher's commands report what they spend and send: the demo's own lines. */
  #output(): Output {
    return new Output(false, (text) => this.#view.note(text.replace(/\n$/, "")), false);
  }

  /** Stops the trainer agents, then the coordinator, then the chain. */
  async close(): Promise<void> {
    await Promise.all(this.trainers.map((trainer) => trainer.stop()));
    await this.coordinator.close();
    await this.chain?.close();
  }
}

function describeChain(chain: DemoChain): string {
  const { contracts } = chain.deployment;
  return (
    `chain: ${chain.local ? "local Hardhat/EDR node" : "JSON-RPC"} ${chain.rpcUrl} (chain id ${chain.chainId}), ` +
    `TrainingJobs ${contracts.TrainingJobs}, DatasetRegistry ${contracts.DatasetRegistry}, TRIB ${contracts.TributaryToken}; ` +
    `coordinator account ${chain.coordinatorWallet.address}`
  );
}
