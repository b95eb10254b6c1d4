import { DEPLOYED_CONTRACTS, parseDeployment } from "@tributary/contracts/deployments";
import { describe, expect, it } from "vitest";
import { configFromEnv, configInputFromEnv } from "./config-from-env.js";
import { configFromDeployment, resolveConfig } from "./coordinator-config.js";

// Hardhat's first two development accounts: a key and its address (published with Hardhat), and another address.
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY_ADDRESS = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const OTHER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const JOBS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const REGISTRY = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";

const chain = { rpcUrl: "http://127.0.0.1:8545", trainingJobs: JOBS, datasetRegistry: REGISTRY };
/** A chain in the environment, with the sender key or (read-only) the coordinator address. */
const chainEnv = (account: { TRIBUTARY_SENDER_KEY: string } | { TRIBUTARY_COORDINATOR_ADDRESS: string }) => ({
  TRIBUTARY_RPC_URL: chain.rpcUrl,
  TRIBUTARY_TRAINING_JOBS: JOBS,
  TRIBUTARY_DATASET_REGISTRY: REGISTRY,
  TRIBUTARY_VERIFYING_CONTRACT: JOBS,
  ...account,
});

describe("item 12: configuration defaults that fail safe", () => {
  it("is production whenever a chain is configured, development only when asked for (or without a chain)", () => {
    expect(resolveConfig({ verifyingContract: JOBS, chain: { ...chain, senderPrivateKey: KEY } }).mode).toBe(
      "production",
    );
    expect(
      resolveConfig({ mode: "development", verifyingContract: JOBS, chain: { ...chain, senderPrivateKey: KEY } }).mode,
    ).toBe("development");
    expect(resolveConfig({}).mode).toBe("development");
    expect(
      configFromEnv({
        TRIBUTARY_RPC_URL: chain.rpcUrl,
        TRIBUTARY_TRAINING_JOBS: JOBS,
        TRIBUTARY_DATASET_REGISTRY: REGISTRY,
        TRIBUTARY_VERIFYING_CONTRACT: JOBS,
        TRIBUTARY_SENDER_KEY: KEY,
      }).mode,
    ).toBe("production");
  });

  it("follows ModelRegistry only when told where it is (TRIBUTARY_MODEL_REGISTRY)", () => {
    const env = chainEnv({ TRIBUTARY_SENDER_KEY: KEY });
    expect(configFromEnv(env).chain?.modelRegistry).toBeUndefined();
    expect(
      configFromEnv({ ...env, TRIBUTARY_MODEL_REGISTRY: OTHER.toUpperCase().replace("0X", "0x") }).chain?.modelRegistry,
    ).toBe(OTHER);
    expect(() => configFromEnv({ ...env, TRIBUTARY_MODEL_REGISTRY: "0x12" })).toThrow(
      /chain\.modelRegistry: must be a 20-byte hex address/,
    );
  });

  it("reads the attestation settings: registry, allowlisted measurements, collateral, TCB policy, TTL", () => {
    const env = chainEnv({ TRIBUTARY_SENDER_KEY: KEY });
    const defaults = configFromEnv(env);
    expect(defaults.chain?.attestationRegistry).toBeUndefined();
    expect(defaults.tcbPolicy).toEqual({ allowedStatuses: ["UpToDate"], allowedAdvisoryIds: [] });
    expect(defaults.attestationTtlS).toBe(86_400);
    const pcr0 = "ab".repeat(48);
    const mrenclave = "cd".repeat(32);
    const set = configFromEnv({
      ...env,
      TRIBUTARY_ATTESTATION_REGISTRY: OTHER,
      TRIBUTARY_ALLOWED_MEASUREMENTS: `nitro:${pcr0.toUpperCase()}, sgx:${mrenclave}`,
      TRIBUTARY_DCAP_COLLATERAL_DIR: "/etc/tributary/collateral",
      TRIBUTARY_TCB_ALLOWED_STATUSES: "SWHardeningNeeded",
      TRIBUTARY_TCB_ALLOWED_ADVISORIES: "INTEL-SA-00615",
      TRIBUTARY_ATTESTATION_MAX_AGE_S: "600",
      TRIBUTARY_ATTESTATION_TTL_S: "3600",
    });
    expect(set.chain?.attestationRegistry).toBe(OTHER);
    expect(set.allowedMeasurements).toEqual({ nitro: [pcr0], sgx: [mrenclave] });
    expect(set.dcapCollateralDir).toBe("/etc/tributary/collateral");
    expect(set.tcbPolicy).toEqual({
      allowedStatuses: ["UpToDate", "SWHardeningNeeded"],
      allowedAdvisoryIds: ["INTEL-SA-00615"],
    });
    expect([set.attestationMaxAgeS, set.attestationTtlS]).toEqual([600, 3600]);
    expect(() => configFromEnv({ ...env, TRIBUTARY_ALLOWED_MEASUREMENTS: "sev:abcd" })).toThrow(/allowedMeasurements/);
    expect(() => configFromEnv({ ...env, TRIBUTARY_TCB_ALLOWED_STATUSES: "Revoked" })).toThrow(
      /tcbPolicy\.allowedStatuses\[1\]/,
    );
  });

  it("refuses a chain without verifyingContract, or with one that is not its TrainingJobs", () => {
    expect(() => resolveConfig({ chain: { ...chain, senderPrivateKey: KEY } })).toThrow(
      `coordinator configuration.verifyingContract: is required with a chain: the chain's TrainingJobs (${JOBS})`,
    );
    expect(() => resolveConfig({ verifyingContract: OTHER, chain: { ...chain, senderPrivateKey: KEY } })).toThrow(
      `coordinator configuration.verifyingContract: must be the chain's TrainingJobs (${JOBS}), not ${OTHER}`,
    );
    expect(() =>
      configFromEnv({
        TRIBUTARY_RPC_URL: chain.rpcUrl,
        TRIBUTARY_TRAINING_JOBS: JOBS,
        TRIBUTARY_DATASET_REGISTRY: REGISTRY,
        TRIBUTARY_SENDER_KEY: KEY,
      }),
    ).toThrow(/verifyingContract: is required with a chain/);
    // Checksummed or lower-case: the same contract.
    expect(
      resolveConfig({
        verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        chain: { ...chain, senderPrivateKey: KEY },
      }).verifyingContract,
    ).toBe(JOBS);
  });

  it("without a sender key requires the coordinator's address; with one, the address must be the key's", () => {
    expect(() => resolveConfig({ verifyingContract: JOBS, chain })).toThrow(
      "coordinator configuration.chain.coordinator: is required without chain.senderPrivateKey: only jobs naming this coordinator are adopted",
    );
    expect(resolveConfig({ verifyingContract: JOBS, chain: { ...chain, coordinator: OTHER } }).chain?.coordinator).toBe(
      OTHER,
    );
    expect(() =>
      resolveConfig({ verifyingContract: JOBS, chain: { ...chain, senderPrivateKey: KEY, coordinator: OTHER } }),
    ).toThrow(/chain\.coordinator: must be the sender key's address \(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\)/);
    expect(
      resolveConfig({ verifyingContract: JOBS, chain: { ...chain, senderPrivateKey: KEY, coordinator: KEY_ADDRESS } })
        .chain?.coordinator,
    ).toBe(KEY_ADDRESS);
  });

  it("reads the payment-token allowlist and the liveness bounds from the environment, with their defaults", () => {
    const env = chainEnv({ TRIBUTARY_COORDINATOR_ADDRESS: OTHER });
    const defaults = configFromEnv(env);
    expect(defaults.chain?.paymentTokens).toBeUndefined();
    expect([defaults.maxDeadlineExtensions, defaults.jobStartTimeoutS]).toEqual([3, 3_600]);
    const set = configFromEnv({
      ...env,
      TRIBUTARY_PAYMENT_TOKENS: `${JOBS}, ${REGISTRY}`,
      TRIBUTARY_MAX_DEADLINE_EXTENSIONS: "5",
      TRIBUTARY_JOB_START_TIMEOUT_S: "60",
    });
    expect(set.chain?.paymentTokens).toEqual([JOBS, REGISTRY]);
    expect([set.maxDeadlineExtensions, set.jobStartTimeoutS]).toEqual([5, 60]);
    expect(() => configFromEnv({ ...env, TRIBUTARY_PAYMENT_TOKENS: "0x12" })).toThrow(/chain\.paymentTokens\[0\]/);
  });
});

describe("a coordinator configured from a deployment file (`tributary coordinator`)", () => {
  const deployment = parseDeployment({
    chainId: 8_453,
    startBlock: 1_234,
    deployer: KEY_ADDRESS,
    deployedAt: "2026-12-01T00:00:00.000Z",
    contracts: {
      ...Object.fromEntries(DEPLOYED_CONTRACTS.map((name) => [name, OTHER])),
      TrainingJobs: JOBS,
      DatasetRegistry: REGISTRY,
    },
  });

  it("takes the chain id, the EIP-712 domain, both indexed contracts and the start block from the file", () => {
    const input = {
      ...configInputFromEnv({ TRIBUTARY_PORT: "9000", DATABASE_URL: "postgres://db/tributary" }),
      ...configFromDeployment(deployment, chain.rpcUrl),
    };
    const config = resolveConfig({ ...input, chain: { ...input.chain, senderPrivateKey: KEY } });
    expect(config).toMatchObject({
      chainId: 8_453,
      verifyingContract: JOBS,
      port: 9_000,
      databaseUrl: "postgres://db/tributary",
      mode: "production",
      chain: {
        rpcUrl: chain.rpcUrl,
        trainingJobs: JOBS,
        datasetRegistry: REGISTRY,
        attestationRegistry: OTHER,
        startBlock: 1_234,
      },
    });
  });

  it("still names a bad environment variable before anything else is checked", () => {
    expect(() => configInputFromEnv({ TRIBUTARY_PORT: "eighty" })).toThrow(/environment\.TRIBUTARY_PORT/);
  });
});

describe("scale-out configuration", () => {
  const secret = `0x${"ab".repeat(32)}`;
  const postgres = "postgres://postgres@127.0.0.1:5432/test";

  it("refuses Redis without a shared PostgreSQL or a shared session secret, naming what is missing", () => {
    expect(() => resolveConfig({ redisUrl: "redis://127.0.0.1:6379", sessionSecret: secret })).toThrow(
      /databaseUrl: is required with redisUrl/,
    );
    expect(() => resolveConfig({ redisUrl: "redis://127.0.0.1:6379", databaseUrl: postgres })).toThrow(
      /sessionSecret: is required with redisUrl/,
    );
  });

  it("reads REDIS_URL, the lease's lifetime and the node's name from the environment", () => {
    const config = configFromEnv({
      REDIS_URL: "redis://127.0.0.1:6379/2",
      DATABASE_URL: postgres,
      TRIBUTARY_SESSION_SECRET: secret,
      TRIBUTARY_LEASE_TTL_S: "5",
      TRIBUTARY_NODE_ID: "replica-1",
    });
    expect(config).toMatchObject({ redisUrl: "redis://127.0.0.1:6379/2", leaseTtlS: 5, nodeId: "replica-1" });
    // Without a name, a replica on a fixed port is named after its host and port, so a restart resumes its leases.
    expect(resolveConfig({ port: 8471 }).nodeId).toMatch(/:8471$/);
    expect(resolveConfig({ port: 0 }).nodeId).not.toBe(resolveConfig({ port: 0 }).nodeId);
  });
});
