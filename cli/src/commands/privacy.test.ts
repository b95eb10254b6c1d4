import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { InvalidPrivacyParameterError } from "@tributary/privacy";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerPrivacyCommand } from "./privacy.js";

/** Runs `tributary privacy …` in-process and returns what it printed. */
async function privacy(...args: string[]): Promise<string> {
  let output = "";
  const program = new Command().name("tributary").exitOverride();
  registerPrivacyCommand(program, (text) => {
    output += text;
  });
  await program.parseAsync(["node", "tributary", "privacy", ...args]);
  return output;
}

/** The JSON object on the last line of `--json` output. */
async function privacyJson(...args: string[]): Promise<Record<string, unknown>> {
  const lines = (await privacy(...args, "--json")).trim().split("\n");
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}

function expectRelative(actual: unknown, expected: number, tolerance = 1e-3): void {
  expect(Math.abs((actual as number) / expected - 1)).toBeLessThanOrEqual(tolerance);
}

const run = (q: number, sigma: number, steps: number, delta: number) => [
  "epsilon",
  "--sample-rate",
  String(q),
  "--noise-multiplier",
  String(sigma),
  "--steps",
  String(steps),
  "--delta",
  String(delta),
];

describe("tributary privacy epsilon", () => {
  it("reproduces Opacus's RDP test value and reports the order", async () => {
    // pytorch/opacus opacus/tests/accountants_test.py test_rdp_accountant: 7.32911117143 (σ 1.5, q 0.04, 2250 steps).
    const result = await privacyJson(...run(0.04, 1.5, Math.trunc(90 / 0.04), 1e-5));
    expectRelative(result.epsilon, 7.32911117143);
    expect(result).toMatchObject({ order: 3.9, accountant: "rdp" });
    expect(await privacy(...run(0.04, 1.5, 2250, 1e-5))).toMatch(/^ε = 7\.32911\d* .*optimal order 3\.9/);
  });

  // tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py, current (improved
  // conversion) and 2019 (classic conversion) versions, with that library's order grid.
  it.each([
    [150 / 60_000, 1.3, 6000, 1e-5, 0.7242234026109595, 0.941870567, 19],
    [100 / 100_000, 1.0, 30_000, 1e-7, 1.4154988495444842, 1.70928734, 13],
    [1024 / 100_000_000, 0.1, 976_563, 1e-7, 5907982.3113978775, 5907984.81339406, 1.25],
  ])("reproduces TF Privacy for q=%s σ=%s steps=%s", async (q, sigma, steps, delta, improved, classic, order) => {
    const args = [...run(q, sigma, steps, delta), "--orders", "tf-privacy"];
    const current = await privacyJson(...args);
    expectRelative(current.epsilon, improved);
    expect(current.order).toBe(order);
    expectRelative((await privacyJson(...args, "--conversion", "classic")).epsilon, classic);
  });

  // tensorflow/privacy compute_dp_sgd_privacy_test.py test_compute_dp_sgd_example_privacy, PLD rows (Google
  // dp_accounting PLDAccountant), δ = 1e-5.
  it.each([
    [0.01, 0.7, 120, 2.4612381],
    [1, 0.35, 2, 24.7160779],
  ])("reproduces dp_accounting's PLD values with --accountant prv (q=%s σ=%s)", async (q, sigma, steps, eps) => {
    const result = await privacyJson(...run(q, sigma, steps, 1e-5), "--accountant", "prv");
    expectRelative(result.epsilon, eps);
    expect(result).toMatchObject({ order: null, accountant: "prv" });
  });

  it.each([
    [["--noise-multiplier", "-1"], "--noise-multiplier"],
    [["--sample-rate", "0"], "--sample-rate"],
    [["--sample-rate", "1.5"], "--sample-rate"],
    [["--delta", "1"], "--delta"],
    [["--delta", "abc"], "--delta"],
    [["--steps", "2.5"], "--steps"],
    [["--accountant", "gdp"], "--accountant"],
  ])("rejects %j naming the argument", async (override, name) => {
    const args = run(0.01, 1, 100, 1e-5);
    const at = args.indexOf(override[0] as string);
    if (at < 0) args.push(...override);
    else args[at + 1] = override[1] as string;
    const attempt = privacy(...args);
    await expect(attempt).rejects.toThrow(InvalidPrivacyParameterError);
    await expect(attempt).rejects.toThrow(name);
  });
});

describe("tributary privacy noise", () => {
  it("reproduces TF Privacy's compute_noise (2019, classic conversion)", async () => {
    // compute_noise_from_budget_test.py: n 60000, batch 150, ε 0.941870567, 15 epochs, δ 1e-5 → σ = 1.3.
    const result = await privacyJson(
      "noise",
      ...["--target-epsilon", "0.941870567", "--sample-rate", String(150 / 60_000), "--steps", "6000"],
      ...["--delta", "1e-5", "--orders", "tf-privacy", "--conversion", "classic"],
    );
    expectRelative(result.noiseMultiplier, 1.3, 1e-6);
  });

  it("agrees with Opacus's get_noise_multiplier to 0.1%", async () => {
    // opacus/tests/accountants_test.py test_get_noise_multiplier_rdp_epochs: ε 8, δ 1e-5, q 0.04, 90 epochs → 1.416.
    const text = await privacy(
      "noise",
      "--target-epsilon",
      "8",
      "--sample-rate",
      "0.04",
      "--steps",
      "2250",
      "--delta",
      "1e-5",
    );
    const sigma = Number(/σ = ([0-9.]+)/.exec(text)?.[1]);
    expectRelative(sigma, 1.416);
  });

  it("rejects a non-positive target ε naming it", async () => {
    const attempt = privacy(
      "noise",
      "--target-epsilon",
      "0",
      "--sample-rate",
      "0.01",
      "--steps",
      "10",
      "--delta",
      "1e-5",
    );
    await expect(attempt).rejects.toThrow("--target-epsilon");
  });
});

describe("the tributary binary", () => {
  const bin = path.resolve(import.meta.dirname, "../../bin/tributary.js");
  const exec = promisify(execFile);

  it("exits non-zero with a message naming the bad argument", async () => {
    const result = await exec(process.execPath, [bin, "privacy", ...run(0.01, -1, 100, 1e-5)]).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("--noise-multiplier must be >= 0");
  });

  it("prints the JSON line on stdout", async () => {
    const { stdout } = await exec(process.execPath, [bin, "privacy", ...run(0.04, 1.5, 2250, 1e-5), "--json"]);
    const last = stdout.trim().split("\n").at(-1) as string;
    expectRelative((JSON.parse(last) as { epsilon: number }).epsilon, 7.32911117143);
  });
});
