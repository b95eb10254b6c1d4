/**
 * Words for the options and parameters of protocol's job schemas. An option or parameter missing here is still
 * offered, under its schema name: the schemas decide what the form lists, these only how it reads.
 */
const OPTION_LABELS: Readonly<Record<string, string>> = {
  fedavg: "FedAvg (mean weighted by examples)",
  fedavgm: "FedAvgM (server momentum)",
  fedadagrad: "FedAdagrad (adaptive server step)",
  fedadam: "FedAdam (adaptive server step)",
  fedyogi: "FedYogi (adaptive server step)",
  krum: "Krum (robust)",
  multikrum: "Multi-Krum (robust)",
  trimmedmean: "Trimmed mean (robust)",
  median: "Coordinate-wise median (robust)",
  bulyan: "Bulyan (robust)",
  centredclip: "Centred clipping (robust)",
  fltrust: "FLTrust (robust, trusts updates by a root dataset of yours)",
  off: "Off",
  "dp-sgd": "DP-SGD (per-example clipping and Gaussian noise)",
  examples: "Examples (share of the round's training examples)",
  "leave-one-out": "Leave-one-out (on the validation set)",
  "gtg-shapley": "GTG-Shapley (on the validation set)",
  constant: "Constant",
  cosine: "Cosine decay",
};

/** By `choice.option.key` first, then `choice.key`. */
const PARAMETER_LABELS: Readonly<Record<string, string>> = {
  "strategy.serverLr": "Server learning rate",
  "strategy.momentum": "Server momentum",
  "strategy.beta1": "β₁ (first-moment decay)",
  "strategy.beta2": "β₂ (second-moment decay)",
  "strategy.centredclip.tau": "Clipping radius τ (L2; empty: the median distance)",
  "strategy.tau": "τ (adaptivity)",
  "strategy.f": "Byzantine trainers tolerated (f)",
  "strategy.m": "Updates averaged (m)",
  "strategy.trim": "Updates trimmed at each end (per coordinate)",
  "strategy.iterations": "Clipping iterations",
  "dp.l2NormClip": "Clipping norm C (per example, L2)",
  "dp.noiseMultiplier": "Noise multiplier σ/C (empty: calibrated to the target ε)",
  "dp.targetEpsilon": "Target ε (the whole job, per dataset)",
  "dp.delta": "δ",
  "scoring.maxPermutations": "Most permutations sampled per round",
  "scoring.betweenRoundTruncation": "Between-round truncation ε_b",
  "scoring.withinRoundTruncation": "Within-round truncation ε_i",
  "learningRateSchedule.finalFraction": "Final fraction of the learning rate",
  "secureAggregation.threshold": "Threshold t (neighbours needed to unmask)",
  "secureAggregation.neighbours": "Neighbours k (even)",
  "secureAggregation.quantisation.clip": "Per-coordinate clip of an update",
  "secureAggregation.quantisation.scale": "Quantisation steps per unit (empty: the largest that fits)",
};

export function optionLabel(option: string): string {
  return OPTION_LABELS[option] ?? option;
}

export function parameterLabel(choice: string, option: string, key: string): string {
  return PARAMETER_LABELS[`${choice}.${option}.${key}`] ?? PARAMETER_LABELS[`${choice}.${key}`] ?? key;
}
