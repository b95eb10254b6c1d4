import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../test-support/databases.js";
import { request } from "../test-support/rest.js";
import { type Coordinator, createCoordinator } from "./create-coordinator.js";

interface ErrorBody {
  error: { code: string; message: string };
}

describe.each(DATABASES)("REST boundary on $name", (database) => {
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    db = await database.setup();
    coordinator = await createCoordinator({ port: 0, dataDir: db.dataDir, ...db.config }, { logger: false });
  });

  afterAll(async () => {
    await coordinator.close();
    await db.cleanup();
  });

  it("answers a malformed job with 400 naming every bad field, and stores nothing", async () => {
    const response = await request<ErrorBody>(coordinator.url, "POST", "/jobs", {
      name: "",
      model: { inputShape: [4], layers: [{ type: "dense", units: -2 }], loss: "meanSquaredError" },
      datasetIds: ["01"],
      rounds: 0,
      learningRate: 0.1,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("INVALID_INPUT");
    for (const path of ["JobSpec.name", "JobSpec.model.layers[0].units", "JobSpec.datasetIds[0]", "JobSpec.rounds"]) {
      expect(response.body.error.message).toContain(`${path}: `);
    }
    expect((await request<unknown[]>(coordinator.url, "GET", "/jobs")).body).toEqual([]);
  });

  it("refuses a job on a dataset nobody enrolled, and a Krum job too small for its f", async () => {
    const base = {
      name: "j",
      model: { inputShape: [4], layers: [{ type: "dense", units: 2 }], loss: "meanSquaredError" },
      rounds: 1,
      learningRate: 0.1,
    };
    const unknown = await request<ErrorBody>(coordinator.url, "POST", "/jobs", { ...base, datasetIds: ["424242"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("JobSpec.datasetIds: names a dataset that is not enrolled");
    const krum = await request<ErrorBody>(coordinator.url, "POST", "/jobs", {
      ...base,
      datasetIds: ["1"],
      strategy: { name: "krum", f: 1 },
      clients: { min: 3 },
    });
    expect(krum.status).toBe(400);
    expect(krum.body.error.message).toContain("JobSpec.clients.min: krum needs at least 5 updates per round");
  });

  it("distinguishes a malformed id (400) from a missing one (404), for jobs, datasets and models", async () => {
    expect((await request(coordinator.url, "GET", "/jobs/abc")).status).toBe(400);
    expect((await request(coordinator.url, "GET", "/jobs/77")).status).toBe(404);
    expect((await request(coordinator.url, "GET", "/datasets/-1")).status).toBe(400);
    expect((await request(coordinator.url, "GET", "/models/not-a-cid")).status).toBe(400);
    const missing = await request<ErrorBody>(
      coordinator.url,
      "GET",
      "/models/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("BLOB_NOT_FOUND");
  });

  it("publishes its OpenAPI document and says that TEE attestations are simulated in development", async () => {
    const docs = await request<{ paths: Record<string, unknown> }>(coordinator.url, "GET", "/docs-json");
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(["/jobs", "/jobs/{id}/rounds", "/datasets", "/models/{cid}"]),
    );
    const health = await request<{ mode: string; tee: string }>(coordinator.url, "GET", "/health");
    expect(health.body.mode).toBe("development");
    expect(health.body.tee).toMatch(/SIMULATED/);
  });
});
