import path from "node:path";
import { AddressSchema, parseInput } from "@tributary/protocol";
import { z } from "zod";

/** Everything the coordinator is configured with. Parsed once; no other file reads `process.env`. */
export const CoordinatorConfigSchema = z.strictObject({
  /** `development` accepts simulated TEEs (the default of `npm start`); `production` refuses them. */
  mode: z.enum(["development", "production"]).default("development"),
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
  /** The EIP-712 domain trainers sign updates under (the TrainingJobs contract once jobs come from the chain). */
  chainId: z.number().int().positive().default(31_337),
  verifyingContract: AddressSchema.default("0x0000000000000000000000000000000000000000"),
  /** Largest binary update accepted over the socket, in bytes. */
  maxUpdateBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** Seconds between checks of running rounds (deadlines, quorum). */
  tickSeconds: z.number().positive().default(1),
  /** How old an attestation may be when presented, in seconds. */
  attestationMaxAgeS: z.number().positive().default(300),
  /** Allowlisted measurements per TEE kind; the simulator's is added automatically in development mode. */
  allowedMeasurements: z.partialRecord(z.enum(["nitro", "sgx", "tdx"]), z.array(z.string())).default({}),
});
export type CoordinatorConfig = z.infer<typeof CoordinatorConfigSchema>;
export type CoordinatorConfigInput = z.input<typeof CoordinatorConfigSchema>;

const EnvSchema = z.object({
  TRIBUTARY_MODE: z.enum(["development", "production"]).optional(),
  TRIBUTARY_HOST: z.string().optional(),
  TRIBUTARY_PORT: z.coerce.number().optional(),
  DATABASE_URL: z.string().optional(),
  TRIBUTARY_DB_SCHEMA: z.string().optional(),
  TRIBUTARY_DATA_DIR: z.string().optional(),
  TRIBUTARY_CHAIN_ID: z.coerce.number().optional(),
  TRIBUTARY_VERIFYING_CONTRACT: z.string().optional(),
});

/** Reads the coordinator's environment variables; an invalid value throws naming the variable. */
export function configFromEnv(env: NodeJS.ProcessEnv): CoordinatorConfig {
  const vars = parseInput(EnvSchema, env, "environment");
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
    }).filter(([, value]) => value !== undefined),
  );
  return parseInput(CoordinatorConfigSchema, defined, "coordinator configuration");
}

export function resolveConfig(input: CoordinatorConfigInput): CoordinatorConfig {
  const config = parseInput(CoordinatorConfigSchema, input, "coordinator configuration");
  return { ...config, dataDir: path.resolve(config.dataDir) };
}
