import { describe, expect, it } from "vitest";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { JobRepository } from "../jobs/job.repository.js";
import type { ParticipantRepository } from "../jobs/participant.repository.js";
import type { AssignmentRepository } from "./assignment.repository.js";
import type { InstructionSender } from "./instruction-sender.js";
import type { JobLeases } from "./job-leases.js";
import { RoundRepository } from "./round.repository.js";
import { RoundDriver } from "./round-driver.js";
import type { RoundsService } from "./rounds.service.js";
import type { SecAggRounds } from "./secagg-rounds.js";

/** A driver whose database answers "no such job" to every read, once `gate` opens; counts the reads. */
function driverWithGatedDatabase(held: readonly string[] = ["7", "8"]) {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const counter = { reads: 0 };
  const db = {
    getRepository: () => ({
      findOneBy: async () => {
        counter.reads++;
        await gate;
        return null;
      },
    }),
  };
  const nudged: string[] = [];
  const driver = new RoundDriver(
    new JobRepository(db as never),
    new RoundRepository(db as never),
    {} as AssignmentRepository,
    {} as ParticipantRepository,
    { tickSeconds: 1 } as CoordinatorConfig,
    { nudge: (jobId: string) => nudged.push(jobId) } as unknown as InstructionSender,
    {} as RoundsService,
    { holds: (jobId: string) => held.includes(jobId) } as unknown as JobLeases,
    {} as SecAggRounds,
  );
  return { driver, counter, open, nudged };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("RoundDriver.kick", () => {
  it("answers a burst of kicks during a running advance with one more advance, not one per kick", async () => {
    const { driver, counter, open } = driverWithGatedDatabase();
    const first = driver.kick("7");
    await settle();
    expect(counter.reads).toBe(1); // the first advance is running, blocked on its read
    // 1,000 updates arriving while it runs: each kicks the job.
    const burst = Array.from({ length: 1000 }, () => driver.kick("7"));
    open();
    await Promise.all([first, ...burst]);
    expect(counter.reads).toBe(2);
  });

  it("still runs an advance for a kick that comes after the previous advance started", async () => {
    const { driver, counter, open } = driverWithGatedDatabase();
    open();
    await driver.kick("7");
    await driver.kick("7");
    const concurrent = [driver.kick("7"), driver.kick("8")];
    await Promise.all(concurrent);
    // Two sequential advances, then one each for two different jobs (jobs never share a queue).
    expect(counter.reads).toBe(4);
  });
});

describe("RoundDriver.kick on a replica that does not drive the job", () => {
  it("reads nothing and nudges the other replicas instead; a nudge received is not passed on again", async () => {
    const { driver, counter, open, nudged } = driverWithGatedDatabase(["8"]);
    open();
    await driver.kick("7");
    await driver.kick("7", false);
    expect(counter.reads).toBe(0);
    expect(nudged).toEqual(["7"]);
    await driver.kick("8");
    expect(counter.reads).toBe(1);
    expect(nudged).toEqual(["7"]);
  });
});
