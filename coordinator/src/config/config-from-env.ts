import { parseInput } from "@tributary/protocol";
import { z } from "zod";
import { type CoordinatorConfig, type CoordinatorConfigInput, CoordinatorConfigSchema } from "./coordinator-config.js";

const EnvSchema = z.object({
  TRIBUTARY_MODE: z.enum(["development", "production"]).optional(),
  TRIBUTARY_HOST: z.string().optional(),
  TRIBUTARY_PORT: z.coerce.number().optional(),
  DATABASE_URL: z.string().optional(),
  TRIBUTARY_DB_SCHEMA: z.string().optional(),
  TRIBUTARY_DATA_DIR: z.string().optional(),
  TRIBUTARY_CHAIN_ID: z.coerce.number().optional(),
  TRIBUTARY_VERIFYING_CONTRACT: z.string().optional(),
  TRIBUTARY_RPC_URL: z.string().optional(),
  TRIBUTARY_TRAINING_JOBS: z.string().optional(),
  TRIBUTARY_DATASET_REGISTRY: z.string().optional(),
  TRIBUTARY_MODEL_REGISTRY: z.string().optional(),
  TRIBUTARY_ATTESTATION_REGISTRY: z.string().optional(),
  /** `nitro:HEX,sgx:HEX,…`: the allowlisted enclave measurements. */
  TRIBUTARY_ALLOWED_MEASUREMENTS: z.string().optional(),
  TRIBUTARY_ATTESTATION_MAX_AGE_S: z.coerce.number().optional(),
  TRIBUTARY_ATTESTATION_TTL_S: z.coerce.number().optional(),
  TRIBUTARY_DCAP_COLLATERAL_DIR: z.string().optional(),
  /** Comma-separated TCB statuses allowed besides UpToDate, and advisory ids allowed. */
  TRIBUTARY_TCB_ALLOWED_STATUSES: z.string().optional(),
  TRIBUTARY_TCB_ALLOWED_ADVISORIES: z.string().optional(),
  TRIBUTARY_CHAIN_START_BLOCK: z.coerce.number().optional(),
  TRIBUTARY_CHAIN_CONFIRMATIONS: z.coerce.number().optional(),
  TRIBUTARY_SENDER_KEY: z.string().optional(),
  TRIBUTARY_CHAIN_POLL_MS: z.coerce.number().optional(),
  TRIBUTARY_FEE_BUMP_AFTER_MS: z.coerce.number().optional(),
  TRIBUTARY_COORDINATOR_ADDRESS: z.string().optional(),
  /** Comma-separated token addresses. */
  TRIBUTARY_PAYMENT_TOKENS: z.string().optional(),
  TRIBUTARY_MAX_DEADLINE_EXTENSIONS: z.coerce.number().optional(),
  TRIBUTARY_JOB_START_TIMEOUT_S: z.coerce.number().optional(),
  TRIBUTARY_PUBLIC_ORIGIN: z.string().optional(),
  TRIBUTARY_SESSION_SECRET: z.string().optional(),
  TRIBUTARY_SESSION_TTL_S: z.coerce.number().optional(),
  TRIBUTARY_MAX_VALIDATION_SET_BYTES: z.coerce.number().optional(),
  TRIBUTARY_REQUESTS_PER_MINUTE: z.coerce.number().optional(),
  TRIBUTARY_MAX_HANDSHAKE_BYTES: z.coerce.number().optional(),
  TRIBUTARY_MAX_SOCKETS_PER_IP: z.coerce.number().optional(),
  TRIBUTARY_MAX_SOCKETS_PER_ADDRESS: z.coerce.number().optional(),
  TRIBUTARY_PORTAL_DIR: z.string().optional(),
  TRIBUTARY_METRICS_TOKEN: z.string().optional(),
  TRIBUTARY_LOG_LEVEL: z.string().optional(),
  TRIBUTARY_LOG_FORMAT: z.string().optional(),
  /** Scale-out: the Redis replicas share, the job lease's lifetime, this replica's name. */
  REDIS_URL: z.string().optional(),
  TRIBUTARY_LEASE_TTL_S: z.coerce.number().optional(),
  TRIBUTARY_NODE_ID: z.string().optional(),
  TRIBUTARY_TICK_SECONDS: z.coerce.number().optional(),
  TRIBUTARY_SIGNATURE_WORKERS: z.coerce.number().optional(),
});

/** Every environment variable the coordinator reads (docs/operations.md lists each). */
export const COORDINATOR_ENV_VARS: readonly string[] = Object.keys(EnvSchema.shape);

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

const list = (text: string | undefined): string[] =>
  (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** `nitro:HEX,sgx:HEX,…` as `allowedMeasurements` (an entry without a kind is kept whole, for the schema to refuse). */
function measurementsFromEnv(text: string | undefined): Record<string, string[]> | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const allowed: Record<string, string[]> = {};
  for (const entry of list(text)) {
    const [kind, measurement] = entry.includes(":") ? entry.split(":", 2) : [entry, ""];
    allowed[kind as string] = [...(allowed[kind as string] ?? []), (measurement as string).toLowerCase()];
  }
  return allowed;
}

function tcbPolicyFromEnv(statuses: string | undefined, advisories: string | undefined) {
  if (statuses === undefined && advisories === undefined) return undefined;
  return { allowedStatuses: ["UpToDate", ...list(statuses)], allowedAdvisoryIds: list(advisories) };
}

/**
 * The coordinator's environment variables as configuration input, not yet checked as a whole: `configFromEnv` parses
 * it, and `tributary coordinator` first lays its flags and a deployment file over it. A variable of the wrong type
 * throws naming it.
 */
export function configInputFromEnv(env: NodeJS.ProcessEnv): CoordinatorConfigInput {
  const vars = parseInput(EnvSchema, env, "environment");
  const chain =
    vars.TRIBUTARY_RPC_URL === undefined || vars.TRIBUTARY_RPC_URL === ""
      ? undefined
      : definedOnly({
          rpcUrl: vars.TRIBUTARY_RPC_URL,
          trainingJobs: vars.TRIBUTARY_TRAINING_JOBS,
          datasetRegistry: vars.TRIBUTARY_DATASET_REGISTRY,
          modelRegistry: vars.TRIBUTARY_MODEL_REGISTRY,
          attestationRegistry: vars.TRIBUTARY_ATTESTATION_REGISTRY,
          startBlock: vars.TRIBUTARY_CHAIN_START_BLOCK,
          confirmations: vars.TRIBUTARY_CHAIN_CONFIRMATIONS,
          senderPrivateKey: vars.TRIBUTARY_SENDER_KEY,
          pollIntervalMs: vars.TRIBUTARY_CHAIN_POLL_MS,
          bumpAfterMs: vars.TRIBUTARY_FEE_BUMP_AFTER_MS,
          coordinator: vars.TRIBUTARY_COORDINATOR_ADDRESS,
          paymentTokens: vars.TRIBUTARY_PAYMENT_TOKENS?.split(",").map((token) => token.trim()),
        });
  const defined = Object.fromEntries(
    Object.entries({
      mode: vars.TRIBUTARY_MODE,
      host: vars.TRIBUTARY_HOST,
      port: vars.TRIBUTARY_PORT,
      databaseUrl: vars.DATABASE_URL === "" ? undefined : vars.DATABASE_URL,
      databaseSchema: vars.TRIBUTARY_DB_SCHEMA,
      dataDir: vars.TRIBUTARY_DATA_DIR,
      chainId: vars.TRIBUTARY_CHAIN_ID,
      verifyingContract: vars.TRIBUTARY_VERIFYING_CONTRACT,
      maxDeadlineExtensions: vars.TRIBUTARY_MAX_DEADLINE_EXTENSIONS,
      jobStartTimeoutS: vars.TRIBUTARY_JOB_START_TIMEOUT_S,
      publicOrigin: vars.TRIBUTARY_PUBLIC_ORIGIN,
      portal: vars.TRIBUTARY_PORTAL_DIR === undefined ? undefined : { dir: vars.TRIBUTARY_PORTAL_DIR },
      sessionSecret: vars.TRIBUTARY_SESSION_SECRET,
      sessionTtlS: vars.TRIBUTARY_SESSION_TTL_S,
      maxValidationSetBytes: vars.TRIBUTARY_MAX_VALIDATION_SET_BYTES,
      requestsPerMinute: vars.TRIBUTARY_REQUESTS_PER_MINUTE,
      maxHandshakeBytes: vars.TRIBUTARY_MAX_HANDSHAKE_BYTES,
      maxSocketsPerIp: vars.TRIBUTARY_MAX_SOCKETS_PER_IP,
      maxSocketsPerAddress: vars.TRIBUTARY_MAX_SOCKETS_PER_ADDRESS,
      metricsToken: vars.TRIBUTARY_METRICS_TOKEN === "" ? undefined : vars.TRIBUTARY_METRICS_TOKEN,
      logLevel: vars.TRIBUTARY_LOG_LEVEL,
      logFormat: vars.TRIBUTARY_LOG_FORMAT,
      redisUrl: vars.REDIS_URL === "" ? undefined : vars.REDIS_URL,
      leaseTtlS: vars.TRIBUTARY_LEASE_TTL_S,
      nodeId: vars.TRIBUTARY_NODE_ID,
      tickSeconds: vars.TRIBUTARY_TICK_SECONDS,
      signatureWorkers: vars.TRIBUTARY_SIGNATURE_WORKERS,
      allowedMeasurements: measurementsFromEnv(vars.TRIBUTARY_ALLOWED_MEASUREMENTS),
      attestationMaxAgeS: vars.TRIBUTARY_ATTESTATION_MAX_AGE_S,
      attestationTtlS: vars.TRIBUTARY_ATTESTATION_TTL_S,
      dcapCollateralDir: vars.TRIBUTARY_DCAP_COLLATERAL_DIR,
      tcbPolicy: tcbPolicyFromEnv(vars.TRIBUTARY_TCB_ALLOWED_STATUSES, vars.TRIBUTARY_TCB_ALLOWED_ADVISORIES),
      chain,
    }).filter(([, value]) => value !== undefined),
  );
  return defined as CoordinatorConfigInput;
}

/** Reads the coordinator's environment variables; an invalid value throws naming the variable. */
export function configFromEnv(env: NodeJS.ProcessEnv): CoordinatorConfig {
  return parseInput(CoordinatorConfigSchema, configInputFromEnv(env), "coordinator configuration");
}
