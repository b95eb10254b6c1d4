/**
 * Which of a job's models its result returns. With the researcher's validation set (a job scored by
 * leave-one-out or Shapley), every training round's output model is evaluated on it, and the job returns the
 * round whose output had the lowest validation loss (the latest of equals): under label skew the global model
 * moves from round to round, and the last one need not be the best. Without one, it returns the last model.
 * Both are stored in the job's result, so the researcher sees what the choice gained or cost.
 */
export interface ReturnedModel {
  /** `best-validation`: lowest validation loss over the training rounds' outputs; `last`: the last round's output. */
  readonly model: "best-validation" | "last";
  /** The training round (from 0) whose output model is returned. */
  readonly round: number;
  readonly modelCid: string;
  /** Its loss and accuracy on the researcher's validation set (null without one). */
  readonly validationLoss: number | null;
  readonly validationAccuracy: number | null;
  /** The last round's output model, which the final federated evaluation (`finalMetrics`) measures. */
  readonly last: {
    readonly round: number;
    readonly modelCid: string;
    readonly validationLoss: number | null;
    readonly validationAccuracy: number | null;
  };
}

/** A finished training round as the selection needs it. */
export interface TrainedRound {
  readonly round: number;
  readonly outputModelCid: string | null;
  readonly metrics: Readonly<Record<string, number>> | null;
}

/** Chooses the returned model from the job's finished training rounds (in any order); null if none finished. */
export function chooseReturnedModel(rounds: readonly TrainedRound[]): ReturnedModel | null {
  const done = rounds
    .filter((round): round is TrainedRound & { outputModelCid: string } => round.outputModelCid !== null)
    .sort((a, b) => a.round - b.round);
  const lastRound = done.at(-1);
  if (lastRound === undefined) return null;
  const describe = (round: TrainedRound & { outputModelCid: string }) => ({
    round: round.round,
    modelCid: round.outputModelCid,
    validationLoss: round.metrics?.validationLoss ?? null,
    validationAccuracy: round.metrics?.validationAccuracy ?? null,
  });
  const last = describe(lastRound);
  let best: ReturnType<typeof describe> | undefined;
  for (const round of done) {
    const candidate = describe(round);
    if (candidate.validationLoss === null || !Number.isFinite(candidate.validationLoss)) continue;
    if (best === undefined || candidate.validationLoss <= (best.validationLoss as number)) best = candidate;
  }
  if (best === undefined) return { model: "last", ...last, last };
  return { model: "best-validation", ...best, last };
}
