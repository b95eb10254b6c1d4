import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../test-support/databases.js";
import { type OneRoundJob, runOneRoundJob } from "../test-support/one-round-job.js";
import { ok } from "../test-support/rest.js";
import { type Coordinator, createCoordinator } from "./create-coordinator.js";

describe.each(DATABASES)("stopping a coordinator with trainers connected on $name", (database) => {
  let db: TestDatabase;
  let coordinator: Coordinator;
  let job: OneRoundJob;

  beforeAll(async () => {
    db = await database.setup();
    coordinator = await createCoordinator(
      { port: 0, dataDir: db.dataDir, tickSeconds: 0.1, ...db.config },
      { logger: false },
    );
    job = await runOneRoundJob(coordinator.url);
  }, 90_000);

  afterAll(async () => {
    job?.trainer.close();
    await db?.cleanup();
  });

  // Before the fix the HTTP server waited for the trainers' WebSockets, which socket.io closed only after it: a
  // SIGTERM never ended the process while a trainer was connected.
  it("disconnects the trainers, closes, and leaves what it committed for the next process", async () => {
    expect(job.trainer.socket.connected).toBe(true);
    const disconnected = new Promise<string>((resolve) => job.trainer.socket.once("disconnect", resolve));
    await coordinator.close();
    expect(await disconnected).toMatch(/transport close|io server disconnect/);
    // A new process on the same database sees the job as the first one left it.
    const again = await createCoordinator(
      { port: 0, dataDir: db.dataDir, tickSeconds: 0.1, ...db.config },
      { logger: false },
    );
    try {
      expect((await ok<{ status: string }>(again.url, "GET", `/jobs/${job.jobId}`)).status).toBe("completed");
    } finally {
      await again.close();
    }
  });
});
