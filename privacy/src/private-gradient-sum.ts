import { clipPerExample, clipPerExamplePerLayer } from "./clip-per-example.js";
import { addGaussianNoise, type GaussianNoise, type NoiseReport } from "./gaussian-noise.js";
import { type LayerSegments, perLayerSensitivity } from "./layer-segments.js";
import type { PrivacyBudgetLedger, PrivacySpend } from "./privacy-budget-ledger.js";
import { checkNoiseMultiplier, checkPositive, checkSampleRate } from "./privacy-parameters.js";

/** Per-example gradients, row-major [numExamples × d] (rows may be micro-batch gradients). */
export interface PerExampleGradients {
  readonly perExample: Float32Array;
  readonly numExamples: number;
}

export interface PrivateGradientSumRequest {
  readonly ledger: PrivacyBudgetLedger;
  readonly datasetId: string;
  /** σ: noise standard deviation / sensitivity. */
  readonly noiseMultiplier: number;
  /** Poisson sampling rate q of the batch. */
  readonly sampleRate: number;
  /** Flat clipping: one norm C. Per-layer clipping: `{ segments, clipNorms }` (sensitivity √Σ C_t²). */
  readonly clipping: number | { readonly segments: LayerSegments; readonly clipNorms: ArrayLike<number> };
  /** Reads the batch's per-example gradients. Called only once the budget has been spent. */
  readonly loadGradients: () => PerExampleGradients;
  /** Receives the noisy clipped sum (overwritten). */
  readonly out: Float32Array;
  /** Noise source; default the process-wide CSPRNG-backed instance. */
  readonly noise?: GaussianNoise;
}

export interface PrivateGradientSumResult {
  readonly spent: PrivacySpend;
  readonly clippedCount: number;
  readonly noise: NoiseReport;
}

/**
 * One DP-SGD step's private aggregate, in the only safe order: (1) spend the step on the dataset's ledger, which
 * throws `PrivacyBudgetExceededError` if the owner's budget would be exceeded; (2) only then read the gradients;
 * (3) clip each example and sum; (4) add Gaussian noise of standard deviation σ·sensitivity. A refused step reads
 * no data and draws no randomness. The caller divides by the expected batch size and applies the update.
 */
export function privateGradientSum(request: PrivateGradientSumRequest): PrivateGradientSumResult {
  const noiseMultiplier = checkNoiseMultiplier(request.noiseMultiplier);
  checkPositive(noiseMultiplier, "noiseMultiplier");
  const sampleRate = checkSampleRate(request.sampleRate);
  const sensitivity =
    typeof request.clipping === "number"
      ? checkPositive(request.clipping, "clipNorm")
      : perLayerSensitivity(request.clipping.clipNorms);
  const spent = request.ledger.spendGaussianSteps(request.datasetId, { noiseMultiplier, sampleRate, count: 1 });
  const { perExample, numExamples } = request.loadGradients();
  const out = request.out;
  out.fill(0);
  const clippedCount =
    typeof request.clipping === "number"
      ? clipPerExample(perExample, numExamples, request.clipping, out)
      : clipPerExamplePerLayer(perExample, numExamples, request.clipping.segments, request.clipping.clipNorms, out);
  const stddev = noiseMultiplier * sensitivity;
  const noise =
    request.noise === undefined
      ? addGaussianNoise(out, stddev, { sensitivity })
      : request.noise.addTo(out, stddev, { sensitivity });
  return { spent, clippedCount, noise };
}
