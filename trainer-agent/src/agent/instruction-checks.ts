import {
  type Address,
  canonicalJson,
  type JobSpec,
  roundLearningRate,
  secAggScale,
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
    maxLocalSteps: spec.maxLocalSteps,
    learningRate: roundLearningRate(spec.learningRate, spec.learningRateSchedule, round, spec.rounds),
    proximalMu: spec.proximalMu,
    dp: spec.dp,
  };
  const differing = (Object.keys(expected) as (keyof typeof expected)[]).filter(
    // An absent cap (no `maxLocalSteps`) compares as null on both sides.
    (field) => canonicalJson(expected[field] ?? null) !== canonicalJson(hyperParams[field] ?? null),
  );
  if (differing.length > 0) throw new HyperParamsMismatchError(jobId, round, differing);
  if (round >= spec.rounds) throw new RoundOutOfRangeError(jobId, round, spec.rounds);
}

/** A train instruction whose secure aggregation is not the job spec's: the round is refused before anything runs. */
export class SecAggMismatchError extends TributaryError {
  constructor(jobId: string, round: number, problem: string) {
    super("SECAGG_MISMATCH", `the instruction for job ${jobId} round ${round} ${problem}: refused`, {
      details: { jobId, round },
    });
  }
}

/**
 * Throws unless the instruction runs secure aggregation exactly when the spec asks for it, with the spec's
 * threshold, neighbours, clip and scale, among participants that include this trainer. A coordinator that lowered
 * the threshold, or sent the update in the clear for a SecAgg job, is refused before a record is read.
 */
export function checkSecAggInstruction(spec: JobSpec, instruction: TrainInstruction, trainer: Address): void {
  const { jobId, round } = instruction;
  const wanted = spec.secureAggregation;
  const given = instruction.secureAggregation;
  if (wanted === undefined && given === undefined) return;
  if (wanted === undefined)
    throw new SecAggMismatchError(jobId, round, "asks for secure aggregation the job spec does not");
  if (given === undefined) {
    throw new SecAggMismatchError(
      jobId,
      round,
      "asks for the update in the clear, but the job spec requires secure aggregation",
    );
  }
  const expected = {
    threshold: wanted.threshold,
    neighbours: wanted.neighbours,
    clip: wanted.quantisation.clip,
    scale: secAggScale(wanted, spec.clients.max),
  };
  const differing = (Object.keys(expected) as (keyof typeof expected)[]).filter(
    (field) => expected[field] !== given[field],
  );
  if (differing.length > 0) {
    throw new SecAggMismatchError(
      jobId,
      round,
      `runs secure aggregation with other parameters (${differing.join(", ")})`,
    );
  }
  if (!given.participants.includes(trainer)) {
    throw new SecAggMismatchError(jobId, round, "does not list this trainer among the round's participants");
  }
  if (new Set(given.participants).size !== given.participants.length) {
    throw new SecAggMismatchError(jobId, round, "lists a participant twice");
  }
}
