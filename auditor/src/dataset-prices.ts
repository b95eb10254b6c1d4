import { connectDatasetRegistry, connectTrainingJobs } from "@tributary/contracts/typed";
import { AddressSchema, type JobLedger, parseInput } from "@tributary/protocol";
import { z } from "zod";
import type { TrainingJobsReader } from "./training-jobs-reader.js";

const PriceSchema = z.coerce.bigint().nonnegative();

/**
 * Each contributor's payout floor as the chain defines it: the `pricePerRound` of its dataset on DatasetRegistry
 * (the registry TrainingJobs names), read at the block the audit is pinned to, times the rounds it took part in
 * (its leaves the aggregation did not reject). Datasets are taken from the leaves; a dataset DatasetRegistry does
 * not know is reported in `unknown` and counts no floor.
 */
export async function readPayoutFloors(
  reader: TrainingJobsReader,
  ledger: JobLedger,
): Promise<{
  floors: Map<string, { floor: bigint; datasetId: string; price: bigint; rounds: number }>;
  unknown: string[];
}> {
  const blockTag = reader.blockNumber;
  const registryAddress = parseInput(
    AddressSchema,
    await connectTrainingJobs(reader.address, reader.provider).datasetRegistry({ blockTag }),
    "TrainingJobs.datasetRegistry()",
  );
  const registry = connectDatasetRegistry(registryAddress, reader.provider);
  const participation = new Map<string, { datasetId: string; rounds: number }>();
  for (const round of ledger.rounds) {
    for (const leaf of round.leaves) {
      const known = participation.get(leaf.trainer) ?? { datasetId: leaf.datasetId, rounds: 0 };
      participation.set(leaf.trainer, { datasetId: known.datasetId, rounds: known.rounds + (leaf.rejected ? 0 : 1) });
    }
  }
  const prices = new Map<string, bigint | undefined>();
  for (const { datasetId } of participation.values()) {
    if (prices.has(datasetId)) continue;
    try {
      const dataset = await registry.getDataset(BigInt(datasetId), { blockTag });
      prices.set(datasetId, parseInput(PriceSchema, dataset.pricePerRound, `dataset ${datasetId} pricePerRound`));
    } catch {
      prices.set(datasetId, undefined);
    }
  }
  const floors = new Map<string, { floor: bigint; datasetId: string; price: bigint; rounds: number }>();
  for (const [trainer, { datasetId, rounds }] of participation) {
    const price = prices.get(datasetId) ?? 0n;
    floors.set(trainer, { floor: price * BigInt(rounds), datasetId, price, rounds });
  }
  const unknown = [...prices].filter(([, price]) => price === undefined).map(([datasetId]) => datasetId);
  return { floors, unknown };
}
