import { describe, expect, it } from "vitest";
import { configFromEnv, resolveConfig } from "./coordinator-config.js";

const TRAINING_JOBS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const chain = { rpcUrl: "http://127.0.0.1:8545", trainingJobs: TRAINING_JOBS, datasetRegistry: `0x${"22".repeat(20)}` };

describe("the coordinator's EIP-712 signing domain", () => {
  it("is the chain's TrainingJobs when a chain is configured, from options or the environment", () => {
    expect(resolveConfig({ chain }).verifyingContract).toBe(TRAINING_JOBS);
    const env = {
      TRIBUTARY_RPC_URL: chain.rpcUrl,
      TRIBUTARY_TRAINING_JOBS: TRAINING_JOBS,
      TRIBUTARY_DATASET_REGISTRY: chain.datasetRegistry,
    };
    expect(configFromEnv(env).verifyingContract).toBe(TRAINING_JOBS);
    // Off chain it stays the zero address (nothing on chain to verify against).
    expect(resolveConfig({}).verifyingContract).toBe(`0x${"00".repeat(20)}`);
  });

  it("refuses another verifying contract than TrainingJobs with a chain, naming both", () => {
    const other = `0x${"33".repeat(20)}`;
    expect(() => resolveConfig({ chain, verifyingContract: other })).toThrow(
      `invalid coordinator configuration: coordinator configuration.verifyingContract: must be the chain's TrainingJobs ${TRAINING_JOBS} (updates are signed for it), not ${other}`,
    );
  });
});
