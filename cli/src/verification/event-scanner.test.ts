import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventScanner } from "./event-scanner.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-scanner-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A query over a chain whose block n holds the log n; it records the ranges asked for. */
function chain() {
  const asked: [number, number][] = [];
  const query = async (from: number, to: number) => {
    asked.push([from, to]);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  };
  return { asked, query };
}

describe("EventScanner", () => {
  it("reads from the start block in chunks, and each block once across scans", async () => {
    const { asked, query } = chain();
    const scanner = await EventScanner.open(query, { fromBlock: 5, chunk: 3 });
    const seen: number[] = [];
    await scanner.scan(12, async (logs) => void seen.push(...logs));
    await scanner.scan(12, async (logs) => void seen.push(...logs));
    await scanner.scan(14, async (logs) => void seen.push(...logs));
    expect(asked).toEqual([
      [5, 7],
      [8, 10],
      [11, 12],
      [13, 14],
    ]);
    expect(seen).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it("keeps its cursor in a file: a restart resumes after the last chunk handled, not at the start", async () => {
    const file = path.join(dir, "cursor.json");
    const first = chain();
    const scanner = await EventScanner.open(first.query, { fromBlock: 0, chunk: 4, file });
    await expect(
      scanner.scan(10, async (logs) => {
        if (logs.includes(4)) throw new Error("handler failed");
      }),
    ).rejects.toThrow("handler failed");
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ version: 1, nextBlock: 4 });
    const second = chain();
    const resumed = await EventScanner.open(second.query, { fromBlock: 0, chunk: 4, file });
    expect(resumed.next).toBe(4);
    await resumed.scan(10, async () => {});
    expect(second.asked).toEqual([
      [4, 7],
      [8, 10],
    ]);
    // A later explicit start skips ahead of the file.
    expect((await EventScanner.open(second.query, { fromBlock: 20, file })).next).toBe(20);
  });
});
