import { requireFinite } from "../check-vectors.js";
import { AggregationInputError, InvalidUpdateError } from "../errors.js";
import { fedAvg } from "../fed-avg/fed-avg.js";
import type { SubsetUtility } from "./subset-utility.js";

export interface FedAvgSubsetUtilityInput {
  /** The round's starting global model (flat, in the job's layout). Not modified. */
  readonly global: Float32Array;
  /** The round's scored updates as deltas from `global` (what trainers send), one per index. Not modified. */
  readonly deltas: readonly Float32Array[];
  /** Examples behind each delta (FedAvg weights), > 0. */
  readonly numExamples: readonly number[];
  /**
   * The model's utility, higher is better (e.g. −validation loss on a held-out set, or accuracy). Receives a
   * fresh array it may keep or modify. Must be deterministic during one scoring call.
   */
  readonly evaluate: (weights: Float32Array) => number | Promise<number>;
}

/**
 * The utility "model quality of global + FedAvg(deltas of the coalition)" used by GTG-Shapley (which
 * reconstructs each coalition's model from the round's updates instead of retraining): for members S it
 * evaluates global + Σ_{k∈S} n_k Δ_k / Σ_{k∈S} n_k (FedAvg in float64, rounded to float32, then added to the
 * global model and rounded to float32, as the coordinator's FedAvg round does), and for the empty coalition the
 * global model itself. Checks the inputs once, up front (lengths, finite values, example counts), throwing
 * `InvalidUpdateError`/`AggregationInputError`. Each call allocates one model-sized vector; memory otherwise is
 * the caller's deltas, which must all be held (coalitions revisit them in any order).
 *
 * This is FedAvg with server learning rate 1 whatever the job's strategy, as in the GTG-Shapley paper; a job
 * using a server optimiser or a robust rule is scored on its FedAvg reconstruction.
 */
export function fedAvgSubsetUtility(input: FedAvgSubsetUtilityInput): SubsetUtility {
  const rule = "fedAvgSubsetUtility";
  const { global, deltas, numExamples, evaluate } = input;
  if (!(global instanceof Float32Array)) {
    throw new AggregationInputError(`${rule}: global must be a Float32Array`, { rule });
  }
  if (!Array.isArray(deltas) || !Array.isArray(numExamples) || deltas.length !== numExamples.length) {
    throw new AggregationInputError(`${rule}: needs one example count per delta`, {
      rule,
      deltas: Array.isArray(deltas) ? deltas.length : typeof deltas,
      numExamples: Array.isArray(numExamples) ? numExamples.length : typeof numExamples,
    });
  }
  if (typeof evaluate !== "function") throw new AggregationInputError(`${rule}: evaluate must be a function`, { rule });
  deltas.forEach((delta, update) => {
    if (!(delta instanceof Float32Array) || delta.length !== global.length) {
      const actual = delta instanceof Float32Array ? delta.length : typeof delta;
      throw new InvalidUpdateError(
        "length",
        `${rule}: delta ${update} has ${actual} values, expected ${global.length}`,
        {
          rule,
          update,
          expected: global.length,
          actual,
        },
      );
    }
    const count = numExamples[update];
    if (typeof count !== "number" || !Number.isFinite(count) || count <= 0) {
      throw new InvalidUpdateError("num-examples", `${rule}: delta ${update} has numExamples ${count}`, {
        rule,
        update,
        numExamples: String(count),
      });
    }
  });
  requireFinite(rule, [global]);
  requireFinite(rule, deltas);

  return (members: readonly number[]) => {
    if (members.length === 0) return evaluate(global.slice());
    let previous = -1;
    for (const member of members) {
      if (!Number.isInteger(member) || member <= previous || member >= deltas.length) {
        throw new AggregationInputError(`${rule}: members must be ascending indices in [0, ${deltas.length})`, {
          rule,
          member,
        });
      }
      previous = member;
    }
    const model = fedAvg(
      members.map((member) => ({
        weights: deltas[member] as Float32Array,
        numExamples: numExamples[member] as number,
      })),
    );
    for (let i = 0; i < model.length; i++) model[i] = (global[i] as number) + (model[i] as number);
    return evaluate(model);
  };
}
