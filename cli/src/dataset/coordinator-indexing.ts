import { Bytes32Schema, parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";

/** The part of the coordinator's `GET /datasets/:id` an owner checks. */
const IndexedDatasetSchema = z.object({ id: z.string(), commitment: Bytes32Schema });

/** The coordinator names another commitment for the dataset: it follows another chain or registry. */
export class CoordinatorDisagreesError extends TributaryError {
  constructor(url: string, id: string, expected: string, served: string) {
    super(
      "COORDINATOR_MISMATCH",
      `the coordinator at ${url} knows dataset ${id} with commitment ${served}, not the enrolled ${expected}: it follows another chain or DatasetRegistry`,
      { details: { url, id, expected, served } },
    );
  }
}

/**
 * Waits until the coordinator at `url` has indexed dataset `id` with `commitment` (its chain indexer reads blocks
 * after their confirmations): `true` once it has, `false` when `timeoutMs` passed first or the coordinator cannot
 * be reached. A coordinator that knows the id with another commitment is a `CoordinatorDisagreesError`.
 */
export async function waitForIndexing(input: {
  readonly url: string;
  readonly id: string;
  readonly commitment: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly onWait?: (elapsedMs: number) => void;
}): Promise<boolean> {
  const started = Date.now();
  const endpoint = new URL(`/datasets/${encodeURIComponent(input.id)}`, input.url);
  for (;;) {
    const response = await fetch(endpoint).catch(() => undefined);
    if (response?.ok === true) {
      const dataset = parseInput(IndexedDatasetSchema, await response.json(), `${endpoint}`);
      if (dataset.commitment === input.commitment.toLowerCase()) return true;
      throw new CoordinatorDisagreesError(input.url, input.id, input.commitment, dataset.commitment);
    }
    const elapsed = Date.now() - started;
    if (elapsed >= input.timeoutMs) return false;
    input.onWait?.(elapsed);
    await new Promise((resolve) => setTimeout(resolve, input.intervalMs ?? 500));
  }
}
