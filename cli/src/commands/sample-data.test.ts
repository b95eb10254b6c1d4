import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mnistPackageDigits } from "../../../trainer-agent/test-support/mnist-package.js";
import { tributary } from "../../test-support/run-tributary.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-sample-data-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every record of the IDX pairs in `folder`, read by hand: `<label>:<sha256 of its 784 pixels>`, by file prefix. */
async function records(folder: string): Promise<Map<string, string[]>> {
  const byPrefix = new Map<string, string[]>();
  for (const name of (await readdir(folder)).filter((file) => file.includes("-images-idx3-"))) {
    const images = await readFile(path.join(folder, name));
    const labels = await readFile(path.join(folder, name.replace("-images-idx3-", "-labels-idx1-")));
    const count = images.readUInt32BE(4);
    expect(labels.readUInt32BE(4)).toBe(count);
    const keys = Array.from({ length: count }, (_, i) => {
      const pixels = images.subarray(16 + 784 * i, 16 + 784 * (i + 1));
      return `${labels[8 + i]}:${createHash("sha256").update(pixels).digest("hex")}`;
    });
    byPrefix.set(name.slice(0, name.indexOf("-")), keys);
  }
  return byPrefix;
}

describe("tributary sample-data", () => {
  it("splits the shipped digits among three owners and the researcher: every digit exactly once", async () => {
    const written: Map<string, string[]>[] = [];
    for (const share of ["1/3", "2/3", "3/3"]) {
      const out = path.join(dir, `owner-${share[0]}`);
      const result = await tributary("sample-data", "--out", out, "--owner", share);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`wrote ${out}: owner ${share[0]} of 3's share of mnist`);
      written.push(await records(out));
    }
    const heldOut = path.join(dir, "researcher");
    expect((await tributary("sample-data", "--out", heldOut, "--researcher")).code).toBe(0);
    const researcher = (await records(heldOut)).get("heldout") ?? [];

    // Each owner: a training share and a held-out share; the researcher: the 1,000 digits no owner holds.
    for (const owner of written) expect([...owner.keys()].sort()).toEqual(["t10k", "train"]);
    expect(written.map((owner) => owner.get("train")?.length)).toEqual([2667, 2667, 2666]);
    expect(researcher).toHaveLength(1000);
    const all = [...written.flatMap((owner) => [...owner.values()].flat()), ...researcher].sort();
    const digits = mnistPackageDigits();
    const reference = Array.from(
      { length: digits.count },
      (_, i) =>
        `${digits.labels[i]}:${createHash("sha256")
          .update(digits.images.subarray(784 * i, 784 * (i + 1)))
          .digest("hex")}`,
    ).sort();
    expect(all).toEqual(reference);
  });

  it("refuses a share that is not K/N of at most 64 owners, and both kinds of share at once", async () => {
    const bad = await tributary("sample-data", "--out", dir, "--owner", "4/3");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("K/N needs 1 ≤ K ≤ N ≤ 64");
    const both = await tributary("sample-data", "--out", dir, "--owner", "1/3", "--researcher");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give exactly one of --owner K/N and --researcher");
  });
});
