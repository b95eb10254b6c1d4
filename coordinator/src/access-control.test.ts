import { readFile } from "node:fs/promises";
import { METHOD_METADATA, PATH_METADATA } from "@nestjs/common/constants.js";
import { type DatasetId, encodeValidationSet, type JobId, type TrainInstruction } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../test-support/databases.js";
import { ok, request, signInAs, until } from "../test-support/rest.js";
import { ScriptedTrainer } from "../test-support/scripted-trainer.js";
import { testManifest } from "../test-support/test-manifest.js";
import { AuthController } from "./auth/auth.controller.js";
import { ACCESS_ROLE } from "./common/access.decorator.js";
import { type Coordinator, createCoordinator } from "./create-coordinator.js";
import { DatasetsController } from "./datasets/datasets.controller.js";
import { HealthController } from "./health/health.controller.js";
import { JobSpecsController } from "./jobs/job-specs.controller.js";
import { JobsController } from "./jobs/jobs.controller.js";
import { LedgerController } from "./ledger/ledger.controller.js";
import { MetricsController } from "./metrics/metrics.controller.js";
import { ModelsController } from "./models/models.controller.js";
import { RegistryController } from "./registry/registry.controller.js";
import { RoundsController } from "./rounds/rounds.controller.js";
import { TrainersController } from "./trainers/trainers.controller.js";
import { ValidationSetsController } from "./validation/validation-sets.controller.js";

/** The owner's dataset: its manifest (uploaded by the trainer) and the commitment it is enrolled with. */
const OWNED = testManifest(10, "owned");

interface Row {
  readonly method: string;
  readonly path: string;
  readonly role: string;
  readonly when: string;
}

/** The HTTP status of a request (bodies may be binary: not parsed). */
async function status(url: string, method: string, body: unknown, token: string | undefined): Promise<number> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The REST table of docs/access-control.md, parsed: the reference the code is checked against. */
async function documentedRoutes(): Promise<Row[]> {
  const text = await readFile(new URL("../../docs/access-control.md", import.meta.url), "utf8");
  const section = text.split("## REST routes")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((line) => /^\| (GET|POST) \|/.test(line))
    .map((line) => {
      const [method, path, role, when] = line
        .split("|")
        .slice(1, 5)
        .map((cell) => cell.trim());
      return { method, path, role, when } as Row;
    });
}

const CONTROLLERS = [
  AuthController,
  DatasetsController,
  HealthController,
  JobsController,
  JobSpecsController,
  LedgerController,
  MetricsController,
  ModelsController,
  RegistryController,
  RoundsController,
  TrainersController,
  ValidationSetsController,
];
const METHODS: Record<number, string> = { 0: "GET", 1: "POST" };

/** Every handler of every controller, with its route and the role its `@Access` names (undefined: none). */
function decoratedRoutes(): { method: string; path: string; role: string | undefined }[] {
  const routes = [];
  for (const controller of CONTROLLERS) {
    const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string;
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as unknown as Record<string, object>)[name] as object;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as number | undefined;
      if (name === "constructor" || method === undefined) continue;
      const sub = Reflect.getMetadata(PATH_METADATA, handler) as string;
      const path = `/${[prefix, sub].filter((part) => part !== "" && part !== "/").join("/")}`.replace(
        /:(\w+)/g,
        "{$1}",
      );
      routes.push({ method: METHODS[method] ?? String(method), path, role: Reflect.getMetadata(ACCESS_ROLE, handler) });
    }
  }
  return routes;
}

const model = {
  inputShape: [4],
  layers: [{ type: "dense", units: 2, activation: "softmax" }],
  loss: "sparseCategoricalCrossentropy",
};

describe("the route → role table of docs/access-control.md", () => {
  it("lists exactly the routes the controllers declare, each with the role its @Access names", async () => {
    const documented = await documentedRoutes();
    expect(documented.length).toBeGreaterThan(10);
    const key = (route: { method: string; path: string; role: string | undefined }) =>
      `${route.method} ${route.path} ${route.role}`;
    expect(decoratedRoutes().map(key).sort()).toEqual(documented.map(key).sort());
  });
});

describe.each(DATABASES)("access control through the REST surface on $name", (database) => {
  let db: TestDatabase;
  let coordinator: Coordinator;
  const researcher = Wallet.createRandom();
  const owner = Wallet.createRandom();
  const stranger = Wallet.createRandom();
  const auditor = Wallet.createRandom();
  const tokens: Record<"researcher" | "owner" | "stranger" | "auditor", string> = {
    researcher: "",
    owner: "",
    stranger: "",
    auditor: "",
  };
  let datasetId: DatasetId;
  let jobId: JobId;
  let validationCid: string;
  let modelCid: string;
  let updateCid: string;
  let trainer: ScriptedTrainer;

  beforeAll(async () => {
    db = await database.setup();
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, tickSeconds: 0.1, ...db.config },
      { logger: false },
    );
    tokens.researcher = await signInAs(coordinator.url, researcher);
    tokens.owner = await signInAs(coordinator.url, owner);
    tokens.stranger = await signInAs(coordinator.url, stranger);
    tokens.auditor = await signInAs(coordinator.url, auditor);
    datasetId = (
      await ok<{ id: DatasetId }>(
        coordinator.url,
        "POST",
        "/datasets",
        {
          owner: owner.address,
          name: "owned",
          commitment: OWNED.commitment,
          recordCount: OWNED.manifest.recordCount,
          epsilonBudget: 8,
          deltaBudget: 1e-5,
        },
        tokens.owner,
      )
    ).id;
    const set = encodeValidationSet({
      featureShape: [4],
      features: Float32Array.from({ length: 8 }, (_, i) => i / 8),
      labels: Int32Array.from([0, 1]),
    });
    const uploaded = await fetch(`${coordinator.url}/validation-sets`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${tokens.researcher}` },
      body: set,
    });
    validationCid = ((await uploaded.json()) as { cid: string }).cid;
    const job = await ok<{ id: JobId; modelCid: string }>(
      coordinator.url,
      "POST",
      "/jobs",
      {
        name: "guarded",
        model,
        datasetIds: [datasetId],
        rounds: 2,
        learningRate: 0.1,
        clients: { min: 1, max: 1 },
        scoring: { method: "leave-one-out", validationSetCid: validationCid },
        auditors: [auditor.address],
      },
      tokens.researcher,
    );
    jobId = job.id;
    modelCid = job.modelCid;
    trainer = await ScriptedTrainer.connect(coordinator.url, owner as unknown as Wallet, datasetId, {
      manifest: OWNED.manifest,
    });
    expect((await trainer.join(jobId)).ok).toBe(true);
    const { instruction } = await trainer.next();
    const delta = Float32Array.from({ length: 10 }, (_, i) => i / 100);
    expect((await trainer.submit(instruction as TrainInstruction, delta, 10)).ok).toBe(true);
    const rounds = await until("the first update to be stored", async () => {
      const rows = await ok<{ updates?: { cid?: string }[]; assignments?: { updateCid?: string }[] }[]>(
        coordinator.url,
        "GET",
        `/jobs/${jobId}/rounds`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(rounds.length).toBeGreaterThan(0);
    updateCid = await until("the update's CID", async () => {
      const { DataSource } = await import("typeorm");
      const rows = (await coordinator.app
        .get(DataSource)
        .query("SELECT cid FROM updates WHERE job_id = $1", [jobId])) as { cid: string }[];
      return rows[0]?.cid;
    });
  }, 60_000);

  afterAll(async () => {
    trainer?.close();
    await coordinator?.close();
    await db?.cleanup();
  });

  /** What each role's route expects when called by nobody, by a stranger, and by the right caller. */
  it("refuses the wrong caller on every route (401 without a session, 403 in the wrong role) and lets the right one in", async () => {
    const documented = (await documentedRoutes()).filter((row) => row.when === "always");
    const docs = await ok<{ paths: Record<string, Record<string, unknown>> }>(coordinator.url, "GET", "/docs-json");
    const served = Object.entries(docs.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.sort()).toEqual(documented.map((row) => `${row.method} ${row.path}`).sort());

    const fill = (path: string) =>
      path.replace("{id}", path.startsWith("/datasets") ? datasetId : jobId).replace("{cid}", modelCid);
    const body = (row: Row): unknown =>
      row.path === "/datasets" ? { owner: stranger.address, name: "x", commitment: `0x${"1".repeat(64)}` } : {};
    const call = (row: Row, token?: string) => {
      if (row.path === "/validation-sets") {
        return fetch(`${coordinator.url}/validation-sets`, {
          method: "POST",
          headers: {
            "content-type": "application/octet-stream",
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body: new Uint8Array(8),
        }).then((response) => response.status);
      }
      return status(
        `${coordinator.url}${fill(row.path)}`,
        row.method,
        row.method === "POST" ? body(row) : undefined,
        token,
      );
    };
    const refused = [401, 403];
    for (const row of documented) {
      if (row.path === "/jobs/{id}/cancel") continue; // below: it ends the job
      const anonymous = await call(row);
      const asStranger = await call(row, tokens.stranger);
      const asRightCaller = await call(row, tokens.researcher);
      const where = `${row.method} ${row.path}`;
      // Without a metrics token configured (as here) the scraper role is anyone's; metrics.test.ts checks the token.
      if (row.role === "anyone" || row.role === "metrics-scraper") {
        expect(refused, where).not.toContain(anonymous);
        expect(refused, where).not.toContain(asStranger);
      } else if (row.role === "signed-in") {
        expect(anonymous, where).toBe(401);
        expect(refused, where).not.toContain(asRightCaller);
      } else {
        expect(anonymous, where).toBe(401);
        expect(asStranger, where).toBe(403);
        expect(refused, where).not.toContain(asRightCaller);
      }
    }
    // A bad token is 401 even on a public route: a client must know its session is gone.
    expect((await request(coordinator.url, "GET", "/jobs", undefined, "not.a.token")).status).toBe(401);
  });

  it("lets nobody but the researcher cancel: an anonymous caller and a stranger are refused, the job keeps running (item 1)", async () => {
    const anonymous = await request<{ error: { code: string } }>(coordinator.url, "POST", `/jobs/${jobId}/cancel`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHENTICATED");
    const byStranger = await request<{ error: { code: string } }>(
      coordinator.url,
      "POST",
      `/jobs/${jobId}/cancel`,
      undefined,
      tokens.stranger,
    );
    expect(byStranger.status).toBe(403);
    expect(byStranger.body.error.code).toBe("FORBIDDEN");
    // The job's own trainer is not its researcher either.
    expect((await request(coordinator.url, "POST", `/jobs/${jobId}/cancel`, undefined, tokens.owner)).status).toBe(403);
    expect((await ok<{ status: string }>(coordinator.url, "GET", `/jobs/${jobId}`)).status).toBe("running");
  });

  it("keeps a stranger from the validation set, a raw update and a global model, and serves each to whom it belongs (item 5)", async () => {
    const get = (cid: string, token?: string) => status(`${coordinator.url}/models/${cid}`, "GET", undefined, token);
    for (const cid of [validationCid, updateCid, modelCid]) {
      expect(await get(cid), `anonymous ${cid}`).toBe(401);
      expect(await get(cid, tokens.stranger), `stranger ${cid}`).toBe(403);
      expect(await get(cid, tokens.researcher), `researcher ${cid}`).toBe(200);
    }
    // The trainer reads its own update and the global model it trains on, not the researcher's held-out set.
    expect(await get(updateCid, tokens.owner)).toBe(200);
    expect(await get(modelCid, tokens.owner)).toBe(200);
    expect(await get(validationCid, tokens.owner)).toBe(403);
    // An auditor the spec names reads the updates and the global models (to recompute the scores), but not the
    // held-out set before the job completes.
    expect(await get(updateCid, tokens.auditor)).toBe(200);
    expect(await get(modelCid, tokens.auditor)).toBe(200);
    expect(await get(validationCid, tokens.auditor)).toBe(403);
  });

  it("refuses a stranger's key logging in for someone else's dataset (item 8)", async () => {
    await expect(ScriptedTrainer.connect(coordinator.url, stranger as unknown as Wallet, datasetId)).rejects.toThrow(
      /NOT_DATASET_OWNER/,
    );
  });

  it("refuses a dataset enrolled for another owner, and a job naming a validation set its researcher did not upload (item 8)", async () => {
    const enrol = await request<{ error: { code: string } }>(
      coordinator.url,
      "POST",
      "/datasets",
      {
        owner: owner.address,
        name: "not mine",
        commitment: `0x${"2".repeat(64)}`,
        recordCount: 5,
        epsilonBudget: 1,
        deltaBudget: 1e-5,
      },
      tokens.stranger,
    );
    expect(enrol.status).toBe(403);
    const job = await request<{ error: { code: string; message: string } }>(
      coordinator.url,
      "POST",
      "/jobs",
      {
        name: "borrowed set",
        model,
        datasetIds: [datasetId],
        rounds: 1,
        learningRate: 0.1,
        scoring: { method: "leave-one-out", validationSetCid: validationCid },
      },
      tokens.stranger,
    );
    expect(job.status).toBe(403);
    expect(job.body.error.message).toMatch(/was not uploaded by/);
  });
});
