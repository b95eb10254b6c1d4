import {
  canonicalJson,
  type JobSpec,
  roundLearningRate,
  type TrainInstruction,
  TributaryError,
} from "@tributary/protocol";

/** A train instruction whose hyper-parameters are not the job spec's: the round is refused before anything runs. */
export class HyperParamsMismatchError extends TributaryError {
  constructor(jobId: string, round: number, fields: readonly string[]) {
    super(
      "HYPERPARAMS_MISMATCH",
      `the instruction for job ${jobId} round ${round} trains with other hyper-parameters than the job spec (${fields.join(", ")} differ): refused`,
      { details: { jobId, round, fields } },
    );
  }
}

export class RoundOutOfRangeError extends TributaryError {
  constructor(jobId: string, round: number, rounds: number) {
    super("ROUND_OUT_OF_RANGE", `job ${jobId} has ${rounds} rounds (0–${rounds - 1}); round ${round} is refused`, {
      details: { jobId, round, rounds },
    });
  }
}

/**
 * Throws unless the instruction trains with exactly the spec's hyper-parameters (the learning rate as the spec's
 * schedule gives it for the round), in one of the spec's rounds.
 */
export function checkTrainInstruction(spec: JobSpec, instruction: TrainInstruction): void {
  const { jobId, round, hyperParams } = instruction;
  const expected = {
    localEpochs: spec.localEpochs,
    batchSize: spec.batchSize,
    learningRate: roundLearningRate(spec.learningRate, spec.learningRateSchedule, round, spec.rounds),
    proximalMu: spec.proximalMu,
    dp: spec.dp,
  };
  const differing = (Object.keys(expected) as (keyof typeof expected)[]).filter(
    (field) => canonicalJson(expected[field]) !== canonicalJson(hyperParams[field]),
  );
  if (differing.length > 0) throw new HyperParamsMismatchError(jobId, round, differing);
  if (round >= spec.rounds) throw new RoundOutOfRangeError(jobId, round, spec.rounds);
}
