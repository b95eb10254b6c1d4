import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../bin/tributary.js");

/** Runs the built `tributary up` with `args`; none of these get as far as starting anything. */
async function up(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { TRIBUTARY_RESEARCHER_KEY: _, TRIBUTARY_COORDINATOR_KEY: __, ...inherited } = process.env;
  return exec(process.execPath, [bin, "up", ...args], { env: { ...inherited, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("tributary up options", () => {
  it("refuses an unknown scoring method, naming the ones there are", async () => {
    const result = await up(["--scoring", "shapley"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/scoring/);
    expect(result.stderr).toMatch(/examples.*leave-one-out.*gtg-shapley/);
  });

  it("refuses a reward that is not an amount of TRIB", async () => {
    const result = await up(["--reward", "0"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/reward.*must be positive/);
  });

  it("refuses a reward that does not cover what the owners ask per round", async () => {
    // 3 owners × 5 rounds × 10 TRIB = 150 TRIB > 100 TRIB: the owners' agents would refuse the job.
    const result = await up(["--clients", "3", "--rounds", "5", "--price-per-round", "10", "--reward", "100"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/reward: --reward must cover what the owners ask/);
    const price = await up(["--price-per-round", "-1"]);
    expect(price.stderr).toMatch(/pricePerRound: must be an amount of TRIB/);
  });

  it("refuses a market of no requests and a licence price that is not an amount of TRIB", async () => {
    const requests = await up(["--requests", "0"]);
    expect(requests.code).not.toBe(0);
    expect(requests.stderr).toMatch(/requests/);
    const price = await up(["--licence-price", "ten"]);
    expect(price.code).not.toBe(0);
    expect(price.stderr).toMatch(/licencePrice: must be an amount of TRIB/);
  });

  it("takes --deployment and --confirmations only with --rpc", async () => {
    const deployment = await up(["--deployment", "deployments/31337.json"]);
    expect(deployment.code).not.toBe(0);
    expect(deployment.stderr).toContain("--deployment is for --rpc");
    const confirmations = await up(["--confirmations", "3"]);
    expect(confirmations.code).not.toBe(0);
    expect(confirmations.stderr).toContain("--confirmations is for --rpc");
  });

  it("runs --cheater only in the market on its own chain, and takes --task-rate only with it", async () => {
    for (const other of [["--rpc", "http://127.0.0.1:9"], ["--no-market"]]) {
      const refused = await up(["--cheater", ...other]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("--cheater runs in the market on the demo's own local chain");
    }
    const rate = await up(["--task-rate", "0.5"]);
    expect(rate.code).not.toBe(0);
    expect(rate.stderr).toContain("--task-rate is for --cheater");
    const zero = await up(["--cheater", "--task-rate", "0"]);
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toContain("taskRate");
  });

  it("runs --secagg only with 3 or more owners, a FedAvg-family strategy and no --dp-epsilon", async () => {
    const two = await up(["--secagg", "--clients", "2"]);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain("--secagg needs --clients 3 or more");
    const krum = await up(["--secagg", "--clients", "5", "--strategy", "krum"]);
    expect(krum.code).not.toBe(0);
    expect(krum.stderr).toContain("--secagg reveals only each round's sum");
    const dp = await up(["--secagg", "--clients", "3", "--dp-epsilon", "4"]);
    expect(dp.code).not.toBe(0);
    expect(dp.stderr).toContain("--secagg with --dp-epsilon is not offered by the demo yet");
  });

  it("with --rpc, asks for the researcher's key in the environment (never on the command line)", async () => {
    const result = await up(["--rpc", "http://127.0.0.1:9"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("--rpc needs TRIBUTARY_RESEARCHER_KEY");
  });
});
