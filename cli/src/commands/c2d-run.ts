import { readFile, writeFile } from "node:fs/promises";
import { C2dNodeRefusedError, C2dRefusalError, requestC2dRun } from "@tributary/compute-to-data";
import { type DatasetId, DatasetIdSchema, parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";
import { researcherVerifiers } from "../c2d/attestation-verifiers.js";
import { RefusedError, runCommand } from "../chain/run-command.js";
import { KeyOptionsShape, walletFor } from "../chain/wallet-options.js";

const RunOptionsSchema = z.strictObject({
  node: z.url({ message: "must be the data owner's node URL, e.g. http://127.0.0.1:8495" }),
  dataset: DatasetIdSchema,
  algorithm: z.string().min(1),
  params: z.string().min(1),
  expiresIn: z.coerce.number().int().positive().max(86_400).default(300),
  allowSimulated: z.boolean().default(false),
  measurement: z
    .string()
    .optional()
    .transform((list) => (list === undefined ? [] : list.split(",").map((m) => m.trim().toLowerCase()))),
  collateral: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  json: z.boolean().default(false),
  ...KeyOptionsShape,
});

async function readParams(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new TributaryError("INVALID_INPUT", `--params ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TributaryError("INVALID_INPUT", `--params ${file} must hold one JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** The output for people: long strings (a training step's update) shortened. */
function summary(output: Record<string, unknown>): string {
  return JSON.stringify(output, (_, value: unknown) =>
    typeof value === "string" && value.length > 80 ? `${value.slice(0, 32)}… (${value.length} characters)` : value,
  );
}

/**
 * `tributary c2d run`: the researcher's side of a compute-to-data run. The request is signed with the researcher's
 * key, the answer's attestation checked (the simulator's only with --allow-simulated, and then loudly), the output
 * printed. A node's refusal or an attestation that does not check exits 1.
 */
export function runC2dRun(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(RunOptionsSchema, raw, "c2d run options");
    const signer = await walletFor("researcher", options, out);
    const params = await readParams(options.params);
    const verifiers = await researcherVerifiers(options.collateral);
    let outcome: Awaited<ReturnType<typeof requestC2dRun>>;
    try {
      outcome = await requestC2dRun({
        node: options.node,
        signer,
        datasetId: options.dataset as DatasetId,
        algorithm: options.algorithm,
        params,
        expiresInS: options.expiresIn,
        acceptance: { verifiers, allowSimulated: options.allowSimulated, measurements: options.measurement },
      });
    } catch (error) {
      if (error instanceof C2dNodeRefusedError || error instanceof C2dRefusalError) {
        throw new RefusedError(error.code, error.message, error.details, error);
      }
      throw error;
    }
    const { result, claims } = outcome;
    if (options.out !== undefined) await writeFile(options.out, `${JSON.stringify(result, null, 2)}\n`);
    if (claims.simulated) {
      process.stderr.write(
        "tributary: WARNING: this run was attested by the SIMULATOR, not a TEE: nothing but the node's word says what ran on the data\n",
      );
    }
    const { privacy } = result;
    out.done(
      {
        action: "c2d run",
        runId: result.runId,
        datasetId: result.datasetId,
        algorithm: result.algorithm,
        algorithmHash: result.algorithmHash,
        paramsHash: result.paramsHash,
        outputHash: result.outputHash,
        output: result.output,
        privacy,
        attestation: { kind: claims.kind, simulated: claims.simulated, measurement: claims.measurement },
      },
      [
        `run ${result.runId}: ${result.algorithm} (${result.algorithmHash}) on dataset ${result.datasetId} at ${options.node}`,
        `output: ${summary(result.output)}`,
        `ε charged ${privacy.epsilonCharged} (δ ${privacy.delta}); the dataset has spent ε ${privacy.epsilonSpent.toFixed(4)} of ${privacy.epsilonBudget}`,
        `attested by ${claims.simulated ? "the SIMULATOR (no TEE)" : claims.kind} with measurement ${claims.measurement}: the document binds this algorithm, these params and output ${result.outputHash}${options.out === undefined ? "" : `; the whole answer is in ${options.out}`}`,
      ],
    );
  });
}
