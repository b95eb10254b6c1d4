import { SeededRandom } from "@tributary/protocol";
import { TrainingConfigError } from "./errors.js";

/** Record indices per client; every record appears in exactly one client's list, each list ascending. */
export type Partition = Int32Array[];

function checkClients(numClients: number, count: number): void {
  if (!Number.isInteger(numClients) || numClients < 1) {
    throw new TrainingConfigError(`numClients must be a positive integer, got ${numClients}`);
  }
  if (count < 0) throw new TrainingConfigError("a dataset cannot have a negative size");
}

function sortedLists(lists: number[][]): Partition {
  return lists.map((list) => Int32Array.from(list).sort());
}

/** IID split: shuffle (seeded), deal into `numClients` shards whose sizes differ by at most one. */
export function partitionIid(count: number, numClients: number, seed: string | number): Partition {
  checkClients(numClients, count);
  const order = new SeededRandom(seed).shuffle(Int32Array.from({ length: count }, (_, i) => i));
  const lists: number[][] = Array.from({ length: numClients }, () => []);
  order.forEach((index, position) => {
    lists[position % numClients]?.push(index);
  });
  return sortedLists(lists);
}

export interface DirichletOptions {
  /** Concentration α > 0: large α → each client mirrors the global label mix; small α → few classes per client. */
  readonly alpha: number;
  readonly seed: string | number;
  /** Redraw (deterministically, from the same generator) until every client has at least this many records. */
  readonly minRecordsPerClient?: number;
  /** Give up after this many draws (default 1000) and throw. */
  readonly maxDraws?: number;
}

/**
 * Label-skewed split (Hsu et al. 2019): for each class, draw proportions p ~ Dir(α·1) over the clients and cut
 * that class's shuffled records at the cumulative proportions. Seeded and deterministic.
 */
export function partitionDirichlet(
  labels: ArrayLike<number>,
  numClasses: number,
  numClients: number,
  options: DirichletOptions,
): Partition {
  checkClients(numClients, labels.length);
  if (!(options.alpha > 0) || !Number.isFinite(options.alpha)) {
    throw new TrainingConfigError(`Dirichlet α must be a positive finite number, got ${options.alpha}`);
  }
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const members = byClass[labels[i] as number];
    if (members === undefined)
      throw new TrainingConfigError(`record ${i} has label ${labels[i]}, not in [0, ${numClasses})`);
    members.push(i);
  }
  const random = new SeededRandom(options.seed);
  const minimum = options.minRecordsPerClient ?? 0;
  const maxDraws = options.maxDraws ?? 1000;
  for (let draw = 0; draw < maxDraws; draw++) {
    const lists: number[][] = Array.from({ length: numClients }, () => []);
    for (const members of byClass) {
      const shuffled = random.shuffle([...members]);
      const proportions = random.nextDirichlet(options.alpha, numClients);
      let start = 0;
      let cumulative = 0;
      proportions.forEach((proportion, client) => {
        cumulative += proportion;
        const end = client === numClients - 1 ? shuffled.length : Math.round(cumulative * shuffled.length);
        for (let j = start; j < end; j++) lists[client]?.push(shuffled[j] as number);
        start = Math.max(start, end);
      });
    }
    if (lists.every((list) => list.length >= minimum)) return sortedLists(lists);
  }
  throw new TrainingConfigError(
    `no Dirichlet(α=${options.alpha}) split gave every one of ${numClients} clients ${minimum} records in ${maxDraws} draws`,
  );
}
