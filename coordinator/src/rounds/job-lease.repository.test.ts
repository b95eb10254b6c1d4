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

  it("refuses a live lease to another replica and hands an expired one over; the loser's renewal then fails", async () => {
    const job = await newJob();
    expect(await leases.claim("a", [job], 0.3)).toEqual([job]);
    expect(await leases.claim("b", [job], 0.3)).toEqual([]);
    expect(await leases.holder(job)).toBe("a");
    await sleep(400);
    expect(await leases.holder(job)).toBeUndefined();
    expect(await leases.claim("b", [job], 30)).toEqual([job]);
    expect(await leases.renew("a", 30)).not.toContain(job);
    expect(await leases.holder(job)).toBe("b");
  });

  it("renews a lease that expired while nobody took it, and refuses transitions only while it is expired", async () => {
    const job = await newJob();
    expect(await leases.claim("a", [job], 0.3)).toEqual([job]);
    await sleep(400);
    const expiredFence = await open.dataSource.transaction((manager) =>
      leases.fence(new Transaction(manager), job, "a"),
    );
    expect(expiredFence).toBe(false);
    expect(await leases.renew("a", 30)).toContain(job);
    expect(await leases.holder(job)).toBe("a");
    expect(await leases.claim("b", [job], 30)).toEqual([]);
  });
});
