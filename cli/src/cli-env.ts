import { createLogger, LOG_FORMATS, LOG_LEVELS } from "@tributary/observability";
import { parseInput } from "@tributary/protocol";
import { z } from "zod";

const PrivateKeySchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 32-byte hex private key (0x + 64 hex digits)");

/** The environment variables the CLI reads, parsed once; no other CLI file reads `process.env`. */
const CliEnvSchema = z.object({
  /** A trainer's private key (0x + 64 hex), when no keystore file is given. */
  TRIBUTARY_TRAINER_KEY: PrivateKeySchema.optional(),
  /** `tributary up --rpc`: the researcher's key (holds TRIB for the reward, ETH for the demo's accounts). */
  TRIBUTARY_RESEARCHER_KEY: PrivateKeySchema.optional(),
  /** `tributary up --rpc`: the coordinator's sender key (anchors and finalises); default a fresh funded account. */
  TRIBUTARY_COORDINATOR_KEY: PrivateKeySchema.optional(),
  /** `tributary ledger verify`: the key of the job's researcher or a named auditor, to read the job's blobs. */
  TRIBUTARY_AUDITOR_KEY: PrivateKeySchema.optional(),
  /** `tributary stake …` and `model register`: a model provider's or staker's key (the researcher's, for its own). */
  TRIBUTARY_PROVIDER_KEY: PrivateKeySchema.optional(),
  /** `tributary token …` (and governance): a token holder's key, which delegates and votes. */
  TRIBUTARY_VOTER_KEY: PrivateKeySchema.optional(),
  /** `tributary model buy|download` and `channel …`: a model buyer's key, which holds licences, opens channels and signs vouchers. */
  TRIBUTARY_BUYER_KEY: PrivateKeySchema.optional(),
  /** `tributary challenger`: a challenger's key, which disputes wrong results and posts the bond. */
  TRIBUTARY_CHALLENGER_KEY: PrivateKeySchema.optional(),
  /** `tributary committee vote`: a committee member's key, which votes on disputes (staked, appointed). */
  TRIBUTARY_COMMITTEE_KEY: PrivateKeySchema.optional(),
  /** `tributary deploy`: the deployer's key (pays the deployment's gas and receives the initial TRIB supply). */
  TRIBUTARY_DEPLOYER_KEY: PrivateKeySchema.optional(),
  /** Password of the keystore file given with --keystore (and of the file `tributary key new|import` writes). */
  TRIBUTARY_KEYSTORE_PASSWORD: z.string().optional(),
  /** `provider serve`, `router serve`: least severe level of the service's log on stderr (default info). */
  TRIBUTARY_LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  /** `provider serve`, `router serve`: `json`, `pretty`, or `auto` (default: pretty on a terminal, else JSON). */
  TRIBUTARY_LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
});
export type CliEnv = z.infer<typeof CliEnvSchema>;

/** Every environment variable the CLI reads (docs/operations.md lists each). */
export const CLI_ENV_VARS: readonly string[] = Object.keys(CliEnvSchema.shape);

/** The environment variables that hold a private key (`tributary key import --from-env` takes one of these). */
export type KeyEnvName = Extract<keyof CliEnv, `TRIBUTARY_${string}_KEY`>;
export const KEY_ENV_NAMES = Object.keys(CliEnvSchema.shape).filter((name): name is KeyEnvName =>
  /^TRIBUTARY_[A-Z]+_KEY$/.test(name),
);

export function cliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return parseInput(CliEnvSchema, env, "environment");
}

/**
 * The environment `tributary coordinator` hands to the coordinator's own parser (DATABASE_URL, TRIBUTARY_DB_SCHEMA,
 * TRIBUTARY_PORT, …), which reads it exactly as `node coordinator/dist/main.js` does.
 */
export function coordinatorEnv(): NodeJS.ProcessEnv {
  return process.env;
}

/** Whether progress can be redrawn in place (a terminal) or must be printed line by line (CI, pipes). */
export function isInteractive(): boolean {
  return process.stdout.isTTY === true && process.env.CI !== "true";
}

/**
 * The log of a service a command runs (`provider serve`, `router serve`): pino on stderr, whose stdout stays the
 * command's result, at TRIBUTARY_LOG_LEVEL in TRIBUTARY_LOG_FORMAT; `secrets` (the service's key) and every key and
 * password of the environment are never written.
 */
export function serviceLogger(service: string, secrets: readonly string[] = []) {
  const env = cliEnv();
  const held = Object.entries(env)
    .filter(([name]) => name.endsWith("_KEY") || name.endsWith("_PASSWORD"))
    .map(([, value]) => String(value));
  return createLogger({
    service,
    stream: "stderr",
    secrets: [...secrets, ...held],
    ...(env.TRIBUTARY_LOG_LEVEL === undefined ? {} : { level: env.TRIBUTARY_LOG_LEVEL }),
    ...(env.TRIBUTARY_LOG_FORMAT === undefined ? {} : { format: env.TRIBUTARY_LOG_FORMAT }),
  });
}
