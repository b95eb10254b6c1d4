import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { requestBytes, responseBytes } from "@tributary/deterministic-inference";
import type { Bytes32 } from "@tributary/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RequestLog } from "./request-log.js";

const MODEL = `0x${"ab".repeat(32)}` as Bytes32;
const sha = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;

/** A request of one example with input `value`, and an answer to it. */
function pair(value: number) {
  const request = requestBytes(MODEL, 2, Int32Array.from([value, -value]));
  const response = responseBytes(sha(request) as Bytes32, 1, Int32Array.from([value * 3]));
  return { request, response, requestHash: sha(request), responseHash: sha(response) };
}

let dir: string;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-request-log-"));
  clock = 1_000_000;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("RequestLog", () => {
  it("keeps a request and its answer by the request's SHA-256, served to others only once published", async () => {
    const log = await RequestLog.open(dir, { maxEntries: 10, maxAgeS: 60 }, now);
    const one = pair(5);
    expect(await log.record(one.request, one.response)).toEqual({
      requestHash: one.requestHash,
      responseHash: one.responseHash,
    });
    expect(await log.get(one.requestHash)).toEqual({
      requestHash: one.requestHash,
      responseHash: one.responseHash,
      requestBytes: one.request,
      responseBytes: one.response,
    });
    expect(await log.published(one.requestHash)).toBeUndefined();
    expect(await log.publish(one.requestHash)).toBe(true);
    expect(await log.published(one.requestHash)).toEqual(one.request);
    expect(await log.publish(pair(6).requestHash)).toBe(false);

    const reopened = await RequestLog.open(dir, { maxEntries: 10, maxAgeS: 60 }, now);
    expect(reopened.size).toBe(1);
    expect(await reopened.published(one.requestHash)).toEqual(one.request);
  });

  it("refuses an answer to another request", async () => {
    const log = await RequestLog.open(dir, undefined, now);
    await expect(log.record(pair(1).request, pair(2).response)).rejects.toThrow(/does not answer/);
    expect(log.size).toBe(0);
  });

  it("keeps at most maxEntries (oldest dropped first, files too) and nothing older than maxAgeS", async () => {
    const log = await RequestLog.open(dir, { maxEntries: 3, maxAgeS: 60 }, now);
    const pairs = [1, 2, 3, 4].map(pair);
    for (const p of pairs) {
      await log.record(p.request, p.response);
      clock += 1_000;
    }
    expect(pairs.map((p) => log.has(p.requestHash))).toEqual([false, true, true, true]);
    expect((await readdir(dir)).filter((name) => name.startsWith(pairs[0]?.requestHash ?? ""))).toEqual([]);
    clock += 58_500; // pair 2 is now 61.5 s old, pair 3 60.5 s, pair 4 59.5 s
    const fifth = pair(5);
    await log.record(fifth.request, fifth.response);
    expect([...pairs.slice(1), fifth].map((p) => log.has(p.requestHash))).toEqual([false, false, true, true]);
  });

  it("treats a request file changed on disk as not kept", async () => {
    const log = await RequestLog.open(dir, undefined, now);
    const one = pair(7);
    await log.record(one.request, one.response);
    const other = pair(8);
    await writeFile(path.join(dir, `${one.requestHash}.tdiq`), other.request);
    expect(await log.get(one.requestHash)).toBeUndefined();
  });
});
