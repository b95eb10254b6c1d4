import { type HandshakeRefusal, OFF_CHAIN_CHAIN_ID, trainerHandshakeAuth } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../test-support/databases.js";
import { request, signInAs } from "../test-support/rest.js";
import { handshakeResult } from "../test-support/trainer-socket.js";
import { type Coordinator, createCoordinator } from "./create-coordinator.js";

/**
 * Items 14 and 17: inputs that used to pass validation and then fail inside (500/`INTERNAL`) are refused at the
 * boundary with 400 naming the bound, through HTTP and the trainers' socket. Requests are signed in (as a
 * stranger: routes that need a role parse their input before they look it up).
 */
interface ErrorBody {
  error: { code: string; message: string };
}

/** PostgreSQL's bigint, 2^63 − 1, written out (not taken from the code under test). */
const BIGINT_MAX = "9223372036854775807";
const HUGE_ID = "99999999999999999999999";
const model = { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" };

describe.each(DATABASES)("input bounds through HTTP and the socket on $name", (database) => {
  let db: TestDatabase;
  let coordinator: Coordinator;
  const caller = Wallet.createRandom();
  let token: string;

  beforeAll(async () => {
    db = await database.setup();
    coordinator = await createCoordinator({ port: 0, dataDir: db.dataDir, ...db.config }, { logger: false });
    token = await signInAs(coordinator.url, caller);
  });

  afterAll(async () => {
    await coordinator.close();
    await db.cleanup();
  });

  async function refused(method: "GET" | "POST", path: string, body: unknown, ...expected: string[]) {
    const response = await request<ErrorBody>(coordinator.url, method, path, body, token);
    expect(response.status, `${method} ${path.slice(0, 60)}`).toBe(400);
    expect(response.body.error.code).toBe("INVALID_INPUT");
    for (const text of expected) expect(response.body.error.message).toContain(text);
    return response.body.error.message;
  }

  it("answers ids above the bigint range with 400 naming the bound: job, its rounds, its cancellation, a dataset", async () => {
    const bound = `must be at most ${BIGINT_MAX} (PostgreSQL bigint)`;
    await refused("GET", `/jobs/${HUGE_ID}`, undefined, "job id", bound);
    await refused("GET", `/jobs/${HUGE_ID}/rounds`, undefined, "job id", bound);
    await refused("POST", `/jobs/${HUGE_ID}/cancel`, undefined, "job id", bound);
    await refused("GET", `/datasets/${HUGE_ID}`, undefined, "dataset id", bound);
    // The largest bigint itself is a well-formed id: simply unknown.
    expect((await request(coordinator.url, "GET", `/jobs/${BIGINT_MAX}`)).status).toBe(404);
  });

  it("refuses a JobSpec naming one dataset three times, and one whose layers add up past the parameter cap", async () => {
    const base = { name: "j", model, rounds: 1, learningRate: 0.1 };
    await refused(
      "POST",
      "/jobs",
      { ...base, datasetIds: ["1", "1", "1"] },
      "JobSpec.datasetIds",
      "dataset 1 is listed more than once",
    );
    await refused("POST", "/jobs", { ...base, datasetIds: [HUGE_ID] }, "JobSpec.datasetIds[0]", BIGINT_MAX);
    // 4,096 inputs × 4,096 units + 4,096 biases = 16,781,312 parameters, above 2^24 = 16,777,216.
    const wide = {
      ...base,
      datasetIds: ["1"],
      model: { inputShape: [4096], layers: [{ type: "dense", units: 4096 }], loss: "meanSquaredError" },
    };
    await refused("POST", "/jobs", wide, "JobSpec.model", "16781312 parameters", "16777216");
    expect((await request<unknown[]>(coordinator.url, "GET", "/jobs")).body).toEqual([]);
  });

  it("refuses a 5,000-character CID with 400 (no ENAMETOOLONG from the blob store)", async () => {
    await refused("GET", `/models/b${"a".repeat(4_999)}`, undefined, "blob CID", "must be at most 100 characters");
  });

  it("refuses a dataset whose name holds a NUL, or whose record count does not fit the column", async () => {
    const dataset = {
      owner: caller.address,
      name: "shard",
      commitment: `0x${"ab".repeat(32)}`,
      recordCount: 100,
      epsilonBudget: 8,
      deltaBudget: 1e-5,
    };
    await refused("POST", "/datasets", { ...dataset, name: "sh\u0000ard" }, "dataset.name", "NUL");
    await refused("POST", "/datasets", { ...dataset, metadataUri: "ipfs://\u0000" }, "dataset.metadataUri", "NUL");
    await refused(
      "POST",
      "/datasets",
      { ...dataset, recordCount: 2 ** 53 },
      "dataset.recordCount",
      "must be at most 9007199254740991",
    );
    expect((await request<unknown[]>(coordinator.url, "GET", "/datasets")).body).toEqual([]);
  });

  it("refuses a socket handshake for a dataset id above the bound, naming it", async () => {
    const auth = await trainerHandshakeAuth({
      coordinatorUrl: coordinator.url,
      signer: Wallet.createRandom(),
      chainId: OFF_CHAIN_CHAIN_ID,
      datasetId: HUGE_ID,
    });
    const refusal = await handshakeResult(coordinator.url, auth);
    expect(refusal).toMatchObject({ code: "INVALID_INPUT" });
    expect((refusal as HandshakeRefusal).message).toMatch(
      /datasetId: must be at most 9223372036854775807 \(PostgreSQL bigint\)/,
    );
  });
});
