import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, type TestDatabase } from "../../test-support/databases.js";
import { type OpenDatabase, openDatabase } from "../../test-support/open-database.js";
import { Transaction } from "../database/transaction-runner.repository.js";
import { JobLeaseRepository } from "./job-lease.repository.js";

describe.each(DATABASES)("job leases on $name: one replica drives a job", ({ setup }) => {
  let db: TestDatabase;
  let open: OpenDatabase;
  let leases: JobLeaseRepository;

  beforeAll(async () => {
    db = await setup();
    open = await openDatabase(db);
    leases = new JobLeaseRepository(open.dataSource);
  });

  afterAll(async () => {
    await open?.close();
    await db?.cleanup();
  });

  async function newJob(): Promise<string> {
    const rows: { id: string }[] = await open.dataSource.query(
      `INSERT INTO jobs (spec, layout, status, round, model_cid) VALUES ('{}', '[]', 'running', 0, 'cid')
       RETURNING id::text`,
    );
    return (rows[0] as { id: string }).id;
  }

  const fence = (jobId: string, owner: string) =>
    open.dataSource.transaction((manager) => leases.fence(new Transaction(manager), jobId, owner));

  it("refuses a live lease to another replica and hands an expired one over; the loser can neither renew nor commit", async () => {
    const job = await newJob();
    expect(await leases.claim("a", [job], 0.3)).toEqual([job]);
    expect(await leases.claim("b", [job], 0.3)).toEqual([]);
    expect(await leases.holder(job)).toBe("a");
    expect(await fence(job, "b")).toBe(false);
    await sleep(400);
    expect(await leases.holder(job)).toBeUndefined();
    expect(await leases.claim("b", [job], 30)).toEqual([job]);
    expect(await leases.renew("a", 30)).not.toContain(job);
    expect(await fence(job, "a")).toBe(false);
    expect(await fence(job, "b")).toBe(true);
    expect(await leases.holder(job)).toBe("b");
  });

  it("keeps a lease that expired while nobody took it: its transitions commit and its renewal extends it", async () => {
    const job = await newJob();
    expect(await leases.claim("a", [job], 0.3)).toEqual([job]);
    await sleep(400);
    expect(await leases.holder(job)).toBeUndefined();
    expect(await fence(job, "a")).toBe(true);
    expect(await leases.renew("a", 30)).toEqual([job]);
    expect(await leases.holder(job)).toBe("a");
    expect(await leases.claim("b", [job], 30)).toEqual([]);
  });

  it("blocks a takeover while a transition holding the lease row is open", async () => {
    const job = await newJob();
    expect(await leases.claim("a", [job], 0.2)).toEqual([job]);
    await sleep(300);
    let claimed: string[] | undefined;
    let takeover: Promise<void> = Promise.resolve();
    await open.dataSource.transaction(async (manager) => {
      expect(await leases.fence(new Transaction(manager), job, "a")).toBe(true);
      takeover = leases.claim("b", [job], 30).then((ids) => {
        claimed = ids;
      });
      await sleep(300);
      expect(claimed).toBeUndefined();
    });
    await takeover;
    expect(claimed).toEqual([job]);
  });
});
