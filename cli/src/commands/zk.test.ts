import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EZKL_VECTORS, referenceOutput } from "../../../zk-proofs/test-support/ezkl-reference.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

let dir: string;
const file = (name: string) => path.join(dir, name);
const INPUT = path.join(EZKL_VECTORS, "input.json");

/** `tributary zk ezkl <command> --artifacts <artifacts> …args`, in process. */
const ezkl = (command: "prove" | "verify", artifacts: string, ...args: string[]) =>
  tributary("zk", "ezkl", command, "--artifacts", artifacts, ...args);

describe("tributary zk ezkl", () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tributary-zk-"));
    await writeFile(file("other-input.json"), JSON.stringify({ input_data: [[1, -2, -3]] }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("proves the publisher's model on an input: verified, with the fixed-point model's output", async () => {
    const proved = await ezkl("prove", EZKL_VECTORS, "--input", INPUT, "--out", file("proof.json"), "--json");
    expect(proved.code, proved.stderr).toBe(0);
    const input = JSON.parse(await readFile(INPUT, "utf8")) as { input_data: number[][] };
    expect(jsonLine(proved.stdout)).toEqual({
      ok: true,
      verified: true,
      output: [referenceOutput(input.input_data[0] ?? [], 0)],
      proof: file("proof.json"),
    });
    const proof = JSON.parse(await readFile(file("proof.json"), "utf8")) as { instances: string[][]; proof: number[] };
    expect(proof.instances).toEqual([Array(4).fill("0".repeat(64))]);
  });

  it("verifies the proof for its input, and says so to people", async () => {
    const verified = await ezkl("verify", EZKL_VECTORS, "--proof", file("proof.json"), "--input", INPUT);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toBe("verified\noutput: [[0,0,0,0]]\n");
  });

  it("does not verify a proof with a flipped byte (exit 1, the reason in the JSON line)", async () => {
    const proof = JSON.parse(await readFile(file("proof.json"), "utf8")) as { proof: number[] };
    proof.proof[3000] = (proof.proof[3000] ?? 0) ^ 0x10;
    await writeFile(file("tampered.json"), JSON.stringify(proof));
    const result = await ezkl("verify", EZKL_VECTORS, "--proof", file("tampered.json"), "--json");
    expect(result.code).toBe(1);
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: false,
      verified: false,
      reason: expect.stringMatching(/^Verification failed/),
    });
  });

  it("does not verify the proof for another input, whose output differs", async () => {
    const result = await ezkl(
      "verify",
      EZKL_VECTORS,
      "--proof",
      file("proof.json"),
      "--input",
      file("other-input.json"),
      "--json",
    );
    expect(result.code).toBe(1);
    expect(jsonLine(result.stdout)).toMatchObject({
      ok: false,
      verified: false,
      output: [[0, 0, 0, 0]],
      reason: expect.stringContaining(
        `not the circuit's output on this input, ${JSON.stringify([referenceOutput([1, -2, -3], 0)])}`,
      ),
    });
  });

  it("refuses settings that do not fit the SRS, naming the file and field (exit 2)", async () => {
    const artifacts = path.join(dir, "wrong-settings");
    await cp(EZKL_VECTORS, artifacts, { recursive: true });
    const settings = JSON.parse(await readFile(path.join(artifacts, "settings.json"), "utf8")) as {
      run_args: { logrows: number };
    };
    settings.run_args.logrows = 7;
    await writeFile(path.join(artifacts, "settings.json"), JSON.stringify(settings));
    const result = await ezkl("verify", artifacts, "--proof", file("proof.json"), "--json");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "tributary: settings.json run_args.logrows: is 7, but the SRS kzg is for logrows 6",
    );
    expect(jsonLine(result.stdout)).toMatchObject({ ok: false, error: { code: "EZKL_ARTIFACTS_INCONSISTENT" } });
  });

  it("exits 2 on a usage error", async () => {
    const result = await tributary("zk", "ezkl", "prove", "--input", INPUT);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--artifacts <dir>' not specified");
  });
});
