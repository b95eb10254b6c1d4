import { WATCH_EVENTS } from "@tributary/protocol";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { JobWatcher } from "../../test-support/job-watcher.js";
import { runOneRoundJob } from "../../test-support/one-round-job.js";
import { signInAs } from "../../test-support/rest.js";
import { type Coordinator, createCoordinator } from "../create-coordinator.js";

// The watch channel (docs/access-control.md, "Socket events (watchers)"): owner `signed-in`; a connection without a
// session is refused before it can ask anything, and a watcher is told each move of the jobs it watches.

let db: TestDatabase;
let coordinator: Coordinator;
const opened: JobWatcher[] = [];

beforeAll(async () => {
  db = await (DATABASES[0] as (typeof DATABASES)[number]).setup();
  coordinator = await createCoordinator({ port: 0, dataDir: db.dataDir, ...db.config }, { logger: false });
}, 60_000);

afterAll(async () => {
  for (const watcher of opened) watcher.close();
  await coordinator?.close();
  await db?.cleanup();
});

function watcher(auth?: object): JobWatcher {
  const opening = JobWatcher.open(coordinator.url, auth);
  opened.push(opening);
  return opening;
}

describe("the watch channel for people", () => {
  it("refuses a connection without a session, or with a token this coordinator did not issue", async () => {
    await expect(watcher().outcome()).resolves.toEqual({
      code: "SIGN_IN_REQUIRED",
      message: "watching jobs needs a session: connect with auth {token} from POST /auth/siwe",
    });
    const forged = await watcher({ token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIweDAwIn0.c2lnbmF0dXJl" }).outcome();
    expect(forged).toMatchObject({ code: "SIGN_IN_REQUIRED" });
    expect((forged as { message: string }).message).toMatch(/invalid or expired/);
  });

  it("answers a signed-in watcher's malformed, unknown-job and unknown requests with a code, and nothing else", async () => {
    const socket = watcher({ token: await signInAs(coordinator.url, Wallet.createRandom()) });
    await expect(socket.outcome()).resolves.toEqual({ connected: true });
    await expect(socket.ask(WATCH_EVENTS.watch, { jobId: "x" })).resolves.toMatchObject({
      ok: false,
      code: "INVALID_INPUT",
    });
    await expect(socket.ask(WATCH_EVENTS.watch, { jobId: "999" })).resolves.toEqual({
      ok: false,
      code: "UNKNOWN_JOB",
      message: "this coordinator runs no job 999",
    });
    await expect(socket.ask("update", { jobId: "1" })).resolves.toMatchObject({ ok: false, code: "UNKNOWN_EVENT" });
  });

  it("tells a watcher each move of the job it watches, from the trainer's answer to the job's end", async () => {
    const socket = watcher({ token: await signInAs(coordinator.url, Wallet.createRandom()) });
    await socket.outcome();
    let ended: Promise<void> | undefined;
    const job = await runOneRoundJob(coordinator.url, 0.75, async (jobId) => {
      ({ ended } = await socket.watch(jobId));
    });
    job.trainer.close();
    await ended;
    const seen = socket.changes.map(
      (change) => `${change.what}${change.round === undefined ? "" : ` ${change.round}`}`,
    );
    // One training round (0), then the final evaluation (round 1): each opened, answered, closed and finished. (Until
    // its trainer joins, round 0 may be told to wait: a "status" change, depending on when the driver first looks.)
    expect(seen.filter((what) => what !== "answer 0" && what !== "status")).toEqual([
      "round-opened 0",
      "round-closed 0",
      "round-finished 0",
      "round-opened 1",
      "answer 1",
      "round-closed 1",
      "round-finished 1",
      "ended",
    ]);
    // The update, then its duplicate (refused, so not a move): one answer to round 0.
    expect(seen.filter((what) => what === "answer 0")).toHaveLength(1);
    expect(socket.changes.every((change) => change.jobId === job.jobId)).toBe(true);
  }, 60_000);
});
