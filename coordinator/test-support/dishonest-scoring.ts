import type { Coordinator } from "../src/create-coordinator.js";
import { ValidationEvaluators } from "../src/rounds/validation-evaluators.js";

/**
 * Plays a coordinator that scores dishonestly but anchors consistently: from now on its validation loss is the
 * honest one minus `weight`·⟨model, direction⟩, so every model that moved further along `direction` (the update of
 * the trainer it favours) looks better, and that trainer's contribution larger. The scores it anchors, the roots,
 * the models and the payouts all follow from them as an honest coordinator's would: only recomputing the scores on
 * the published validation set shows the difference. Returns the function that makes it honest again.
 */
export function favourDirectionInScoring(coordinator: Coordinator, direction: Float32Array, weight: number) {
  const evaluators = coordinator.app.get(ValidationEvaluators);
  const honest = evaluators.lossFor.bind(evaluators);
  evaluators.lossFor = async (job) => {
    const loss = await honest(job);
    if (loss === undefined) return undefined;
    return async (weights) => {
      let along = 0;
      for (let i = 0; i < direction.length; i++) along += (weights[i] as number) * (direction[i] as number);
      return (await loss(weights)) - weight * along;
    };
  };
  return () => {
    evaluators.lossFor = honest;
  };
}
