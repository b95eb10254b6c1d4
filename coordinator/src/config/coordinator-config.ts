import { randomBytes } from "node:crypto";
import { availableParallelism, hostname } from "node:os";
import path from "node:path";
import type { Deployment } from "@tributary/contracts/deployments";
import { OceanAddressesSchema } from "@tributary/contracts/ocean";
import { ALLOWABLE_TCB_STATUSES } from "@tributary/enclave-compute";
import { LOG_FORMATS, LOG_LEVELS } from "@tributary/observability";
import { AddressSchema, parseInput } from "@tributary/protocol";
import { computeAddress } from "ethers";
import { z } from "zod";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

const decimalWei = z.string().regex(/^[1-9][0-9]{0,77}$/, "must be a positive decimal amount of wei");

/** Where the contracts live and how the coordinator reads and writes them. Chain id: the top-level `chainId`. */
export const ChainConfigSchema = z.strictObject({
  /** JSON-RPC endpoint (HTTP). */
  rpcUrl: z.url({ protocol: /^https?$/ }),
  trainingJobs: AddressSchema,
  datasetRegistry: AddressSchema,
  /**
   * ModelRegistry, whose licences and provider approvals open a job's final model to licence holders and approved
   * providers, and whose registrants publish model metadata here. Absent: no model routes, no such readers.
   */
  modelRegistry: AddressSchema.optional(),
  /**
   * AttestationRegistry, where the coordinator records the hardware-attested trainer keys it verified (its sender
   * needs `REGISTRAR_ROLE`) and from which jobs requiring attested trainers read who is attested. Absent: no
   * records, and such jobs are refused.
   */
  attestationRegistry: AddressSchema.optional(),
  /** The deployment's first block (`Deployment.startBlock`): the indexer starts here on an empty database. */
  startBlock: z.number().int().nonnegative().default(0),
  /**
   * Blocks that must be on top of a block before the indexer reads its events or the sender counts a transaction
   * in it as final. 0 trusts the head (local chains only).
   */
  confirmations: z.number().int().min(0).max(1_000).default(2),
  /** The coordinator's account (0x + 64 hex), the `coordinator` of its on-chain jobs. Absent: read-only (no sender). */
  senderPrivateKey: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte hex private key")
    .optional(),
  /**
   * This coordinator's address: only on-chain jobs naming it are adopted. Required without `senderPrivateKey`
   * (a read-only coordinator must still know whose jobs it runs); with a key it must be the key's address.
   */
  coordinator: AddressSchema.optional(),
  /**
   * ERC-20 tokens an adopted job may pay in. Governance has no on-chain token allowlist yet, so this is the
   * coordinator's own; absent, the deployment's TributaryToken (read on chain as `Treasury.burnToken()` of
   * `TrainingJobs.treasury()`).
   */
  paymentTokens: z.array(AddressSchema).min(1).max(100).optional(),
  /**
   * Ocean Protocol's contracts on this chain (the deployment file's `ocean`). When set, an on-chain job naming a
   * dataset its owner published on Ocean is adopted only once its researcher holds a valid datatoken order for it.
   */
  ocean: OceanAddressesSchema.optional(),
  /** Milliseconds between polls of the indexer and ticks of the sender. */
  pollIntervalMs: z.number().int().positive().default(2_000),
  /** Most blocks one `eth_getLogs` call spans. */
  maxBlockRange: z.number().int().positive().default(2_000),
  /** A sent transaction not mined after this long is replaced by the same nonce with higher fees. */
  bumpAfterMs: z.number().int().positive().default(60_000),
  /** Each replacement raises maxFeePerGas and maxPriorityFeePerGas by this many percent (nodes require 10+). */
  feeBumpPercent: z.number().int().min(10).max(1_000).default(25),
  /** Ceiling on maxFeePerGas, in wei: bumping stops there (the transaction then waits for fees to fall). */
  maxFeePerGasCap: decimalWei.optional(),
  /** Longest wait between retries after RPC errors (backoff doubles from `pollIntervalMs`). */
  maxBackoffMs: z.number().int().positive().default(30_000),
});
export type ChainConfig = z.infer<typeof ChainConfigSchema>;

/**
 * The web portal (`data-provider-portal/`, built) the coordinator serves at `/portal/`, with `/portal/config.json`
 * telling it the chain and contracts this coordinator follows.
 */
export const PortalConfigSchema = z.strictObject({
  /** The portal's built files (`data-provider-portal/dist`). */
  dir: z.string().min(1),
  /** The deployment's contract addresses the portal's pages use (name → address), e.g. a deployment file's. */
  contracts: z.record(z.string(), AddressSchema).default({}),
  /**
   * DEVELOPMENT ONLY (refused in production): a JSON file `{rpcUrl, accounts: [{label, role, privateKey}]}` of demo
   * accounts, read at each request and served to the portal's loudly labelled development wallet. `tributary up`
   * writes it as it creates the demo's accounts.
   */
  devWalletFile: z.string().min(1).optional(),
});
export type PortalConfig = z.infer<typeof PortalConfigSchema>;

/** Everything the coordinator is configured with. Parsed once; no other file reads `process.env`. */
const CoordinatorConfigFields = z.strictObject({
  /**
   * `development` accepts simulated TEEs; `production` refuses them. Default: `production` when a chain is
   * configured, `development` without one. Development with a chain must be asked for (`npm start` does, since its
   * trainers run on the TEE simulator), and is then announced in the logs and in `/health`.
   */
  mode: z.enum(["development", "production"]).optional(),
  host: z.string().min(1).default("127.0.0.1"),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65_535).default(8470),
  /** PostgreSQL URL; when absent the coordinator runs embedded PGlite in `dataDir/pgdata`. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  /** PostgreSQL schema holding the coordinator's tables (it must exist; the migrations fill it). */
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case SQL identifier")
    .default("public"),
  /** Where embedded state lives: the PGlite data directory and the content-addressed blob store. */
  dataDir: z.string().min(1).default(".tributary"),
  /**
   * The EIP-712 domain trainers sign updates under. With a chain it is the TrainingJobs contract (the default
   * there; another address is refused), so the signatures in the ledger verify against the chain's domain.
   */
  chainId: z.number().int().positive().default(31_337),
  /** Required with a chain, and then the chain's TrainingJobs; without a chain the zero address by default. */
  verifyingContract: AddressSchema.optional(),
  /** Largest binary update accepted over the socket, in bytes. */
  maxUpdateBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** Seconds between checks of running rounds (deadlines, quorum). */
  tickSeconds: z.number().positive().default(1),
  /**
   * Worker threads that recover the signers of trainers' updates (libsecp256k1), off the event loop; 0 recovers on
   * it. Default: one fewer than the machine's cores, at most 4.
   */
  signatureWorkers: z
    .number()
    .int()
    .min(0)
    .max(64)
    .default(() => Math.max(0, Math.min(4, availableParallelism() - 1))),
  /**
   * Deadline extensions a training round may take for lack of answers (each waits one more `roundTimeoutS` for
   * replacements) before the job fails: a dead trainer in a job whose `clients.min` is every trainer stalls it no
   * longer than this.
   */
  maxDeadlineExtensions: z.number().int().min(0).max(1_000).default(3),
  /**
   * Seconds a job (or its next round) may wait for `clients.min` admitted trainers online, or for its on-chain
   * acceptance, before it fails saying why. Meanwhile its `statusMessage` says what it waits for.
   */
  jobStartTimeoutS: z.number().positive().default(3_600),
  /** How old an attestation may be when presented, in seconds. */
  attestationMaxAgeS: z.number().positive().default(300),
  /**
   * Allowlisted measurements per TEE kind, lower-case hex: Nitro PCR0, SGX MRENCLAVE, TDX MRTD. The simulator's is
   * added automatically in development mode.
   */
  allowedMeasurements: z
    .partialRecord(
      z.enum(["nitro", "sgx", "tdx"]),
      z.array(z.string().regex(/^([0-9a-f]{2})+$/, "must be lower-case hex")),
    )
    .default({}),
  /**
   * Seconds an attested key stays attested after its document was issued: the expiry recorded on
   * AttestationRegistry, never past the end of the evidence's validity (a Nitro document's leaf certificate).
   */
  attestationTtlS: z
    .number()
    .int()
    .positive()
    .max(365 * 86_400)
    .default(86_400),
  /**
   * Where the DCAP collateral of SGX and TDX quotes lies: a directory of `sgx-<fmspc>.json` / `tdx-<fmspc>.json`
   * files in dcap-qvl's QuoteCollateralV3 JSON, as Intel's PCS or a PCCS serves it for the platform (FMSPC) the
   * trainers run on, read at every verification (refresh them before their `nextUpdate`). Absent: SGX and TDX
   * attestations are refused (`collateral-unavailable`).
   */
  dcapCollateralDir: z.string().min(1).optional(),
  /** Which TCB outcomes SGX/TDX quotes may have: `UpToDate` without advisories unless more are allowed here. */
  tcbPolicy: z
    .strictObject({
      allowedStatuses: z.array(z.enum(ALLOWABLE_TCB_STATUSES)).min(1).default(["UpToDate"]),
      allowedAdvisoryIds: z.array(z.string().regex(/^[A-Z]+-[A-Z]+-[0-9]+$/, "must be an advisory id")).default([]),
    })
    .default({ allowedStatuses: ["UpToDate"], allowedAdvisoryIds: [] }),
  /**
   * The origin clients reach this coordinator at (scheme://host:port): sign-in messages must name it. Absent: the
   * address it listens on, `http://host:port`.
   */
  publicOrigin: z.url({ protocol: /^https?$/ }).optional(),
  /** HMAC key (0x + 64 hex) of session tokens; absent: a random key per process (sessions end with a restart). */
  sessionSecret: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte hex key")
    .optional(),
  /** Seconds a session token from `POST /auth/siwe` is valid. */
  sessionTtlS: z.number().int().positive().max(86_400).default(3_600),
  /** Largest validation set accepted by `POST /validation-sets`, in bytes (streamed to disk). */
  maxValidationSetBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** REST requests allowed per minute per signed-in address, or per IP address without a session. */
  requestsPerMinute: z.number().int().positive().default(1_200),
  /**
   * Largest head (request line and headers) of an HTTP request, in bytes: the HTTP server's `maxHeaderSize`; a
   * bigger one is answered 431 and its connection closed. A trainer signs in in the head of the request that opens
   * its socket, so this is about all an unauthenticated peer can make the coordinator read before it is refused.
   * A sign-in header takes ~1.5 KiB.
   */
  maxHandshakeBytes: z
    .number()
    .int()
    .min(8 * 1024)
    .max(64 * 1024)
    .default(16 * 1024),
  /** Socket connections open at once per IP address, and per signed-in address. */
  maxSocketsPerIp: z.number().int().positive().default(256),
  maxSocketsPerAddress: z.number().int().positive().default(4),
  /**
   * The bearer token Prometheus presents at `GET /metrics` (`Authorization: Bearer <token>`). Absent: `/metrics` is
   * open to anyone who reaches the port (it shows counts, timings and each dataset's ε, all public through the
   * ledger, and the process's memory and CPU).
   */
  metricsToken: z
    .string()
    .regex(/^[A-Za-z0-9._~+/=-]{16,256}$/, "must be 16–256 token characters")
    .optional(),
  /** Least severe log level written. */
  logLevel: z.enum(LOG_LEVELS).default("info"),
  /** `json` lines, `pretty` lines for a person, or `auto`: pretty when stdout is a terminal, else JSON. */
  logFormat: z.enum(LOG_FORMATS).default("auto"),
  /** The chain client (indexer and outbox sender). Absent: no chain, the coordinator runs off-chain only. */
  chain: ChainConfigSchema.optional(),
  /** The web portal served at `/portal/`. Absent: none. */
  portal: PortalConfigSchema.optional(),
  /**
   * Scale-out: the Redis every replica shares (`redis://host:port[/db]`). With it, socket.io broadcasts through
   * Redis (`@socket.io/redis-adapter`), trainers' presence and sign-in nonces live there, and a trainer connected
   * to any replica reaches the one driving its job. Replicas also share `databaseUrl` (PostgreSQL: embedded PGlite
   * cannot be shared), `sessionSecret` and the blob directory (`dataDir`, a shared volume). Absent: one process.
   */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional(),
  /**
   * Seconds a replica's lease on a job lasts without renewal (renewed every third of it): after a replica dies,
   * another one takes its jobs over within about this long.
   */
  leaseTtlS: z.number().min(1).max(600).default(15),
  /**
   * This replica's name in job leases and trainers' presence. Absent: `host:port` of its hostname when the port is
   * fixed (a replica restarted under the same name resumes its jobs at once), else a random name.
   */
  nodeId: z
    .string()
    .regex(/^[\w.:-]{1,128}$/, "must be 1–128 letters, digits, '.', ':', '_' or '-'")
    .optional(),
});

/**
 * The configuration with defaults that fail safe: with a chain, `verifyingContract` must be given and be the
 * chain's TrainingJobs, the coordinator's address must be known (from the sender key or `chain.coordinator`, and
 * both agree), and the mode is `production` unless development was asked for.
 */
export const CoordinatorConfigSchema = CoordinatorConfigFields.superRefine((config, context) => {
  const mode = config.mode ?? (config.chain === undefined ? "development" : "production");
  if (config.portal?.devWalletFile !== undefined && mode !== "development") {
    context.addIssue({
      code: "custom",
      path: ["portal", "devWalletFile"],
      message: "is for development mode only: it serves private keys to the page",
    });
  }
  const chain = config.chain;
  if (config.redisUrl !== undefined) {
    if (config.databaseUrl === undefined) {
      context.addIssue({
        code: "custom",
        path: ["databaseUrl"],
        message: "is required with redisUrl: replicas share one PostgreSQL (embedded PGlite cannot be shared)",
      });
    }
    if (config.sessionSecret === undefined) {
      context.addIssue({
        code: "custom",
        path: ["sessionSecret"],
        message: "is required with redisUrl: every replica must accept the session tokens the others issue",
      });
    }
  }
  if (chain === undefined) return;
  if (config.verifyingContract === undefined) {
    context.addIssue({
      code: "custom",
      path: ["verifyingContract"],
      message: `is required with a chain: the chain's TrainingJobs (${chain.trainingJobs})`,
    });
  } else if (config.verifyingContract.toLowerCase() !== chain.trainingJobs.toLowerCase()) {
    context.addIssue({
      code: "custom",
      path: ["verifyingContract"],
      message: `must be the chain's TrainingJobs (${chain.trainingJobs}), not ${config.verifyingContract}`,
    });
  }
  if (chain.senderPrivateKey === undefined && chain.coordinator === undefined) {
    context.addIssue({
      code: "custom",
      path: ["chain", "coordinator"],
      message: "is required without chain.senderPrivateKey: only jobs naming this coordinator are adopted",
    });
  }
  if (chain.senderPrivateKey !== undefined && chain.coordinator !== undefined) {
    const own = computeAddress(chain.senderPrivateKey);
    if (own.toLowerCase() !== chain.coordinator.toLowerCase()) {
      context.addIssue({
        code: "custom",
        path: ["chain", "coordinator"],
        message: `must be the sender key's address (${own})`,
      });
    }
  }
}).transform((config) => ({
  ...config,
  mode: config.mode ?? (config.chain === undefined ? ("development" as const) : ("production" as const)),
  verifyingContract: config.verifyingContract ?? ZERO_ADDRESS,
  nodeId:
    config.nodeId ??
    (config.port === 0
      ? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`
      : `${hostname()}:${config.port}`),
}));
export type CoordinatorConfig = z.infer<typeof CoordinatorConfigSchema>;
export type CoordinatorConfigInput = z.input<typeof CoordinatorConfigSchema>;

/** Development mode with a chain: it was asked for explicitly, and is announced in the logs and in `/health`. */
export function developmentWithChain(config: CoordinatorConfig): boolean {
  return config.mode === "development" && config.chain !== undefined;
}

/**
 * What a deployment file (`contracts/deployments/<chainId>.json`) fixes of a coordinator on that chain reached at
 * `rpcUrl`: the chain id, the EIP-712 domain (TrainingJobs), the two contracts it indexes and the block to start from.
 */
export function configFromDeployment(deployment: Deployment, rpcUrl: string) {
  const { chainId, startBlock, contracts, ocean } = deployment;
  return {
    chainId,
    verifyingContract: contracts.TrainingJobs,
    chain: {
      rpcUrl,
      trainingJobs: contracts.TrainingJobs,
      datasetRegistry: contracts.DatasetRegistry,
      modelRegistry: contracts.ModelRegistry,
      attestationRegistry: contracts.AttestationRegistry,
      startBlock,
      ...(ocean === undefined ? {} : { ocean }),
    },
  } satisfies CoordinatorConfigInput;
}

export function resolveConfig(input: CoordinatorConfigInput): CoordinatorConfig {
  const config = parseInput(CoordinatorConfigSchema, input, "coordinator configuration");
  return { ...config, dataDir: path.resolve(config.dataDir) };
}
