import {
  calibrateNoiseMultiplier,
  checkDelta,
  checkNoiseMultiplier,
  checkPositive,
  checkSampleRate,
  checkSteps,
  DEFAULT_RDP_ORDERS,
  InvalidPrivacyParameterError,
  OPACUS_RDP_ORDERS,
  PrvAccountant,
  RdpAccountant,
  type RdpConversion,
  TF_PRIVACY_RDP_ORDERS,
} from "@tributary/privacy";
import type { Command } from "commander";

const ORDER_GRIDS: Readonly<Record<string, readonly number[]>> = {
  "dp-accounting": DEFAULT_RDP_ORDERS,
  opacus: OPACUS_RDP_ORDERS,
  "tf-privacy": TF_PRIVACY_RDP_ORDERS,
};

type Write = (text: string) => void;

/** A decimal number as typed on the command line; anything else (including "") is NaN, so checks name the flag. */
function parseNumber(text: unknown): number {
  return typeof text === "string" && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text.trim())
    ? Number(text)
    : Number.NaN;
}

function parseAccountant(text: unknown): "rdp" | "prv" {
  if (text === "rdp" || text === "prv" || text === "pld") return text === "rdp" ? "rdp" : "prv";
  throw new InvalidPrivacyParameterError("--accountant", text, "must be rdp or prv");
}

function parseConversion(text: unknown): RdpConversion {
  if (text === "improved" || text === "classic") return text;
  throw new InvalidPrivacyParameterError("--conversion", text, "must be improved or classic");
}

function parseOrders(text: unknown): readonly number[] {
  if (typeof text === "string" && text in ORDER_GRIDS) return ORDER_GRIDS[text] as readonly number[];
  const orders = typeof text === "string" ? text.split(",").map(parseNumber) : [];
  if (orders.length === 0 || !orders.every((order) => order > 1)) {
    throw new InvalidPrivacyParameterError(
      "--orders",
      text,
      "must be dp-accounting, opacus, tf-privacy or a list of numbers > 1",
    );
  }
  return orders;
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(10).replace(/\.?0+$/, "") : String(value);
}

function epsilonCommand(raw: Record<string, unknown>, write: Write): void {
  const sampleRate = checkSampleRate(parseNumber(raw.sampleRate), "--sample-rate");
  const noiseMultiplier = checkNoiseMultiplier(parseNumber(raw.noiseMultiplier), "--noise-multiplier");
  const steps = checkSteps(parseNumber(raw.steps), "--steps");
  const delta = checkDelta(parseNumber(raw.delta), "--delta");
  const accountant = parseAccountant(raw.accountant);
  let epsilon: number;
  let order: number | null = null;
  if (accountant === "rdp") {
    const result = new RdpAccountant({ orders: parseOrders(raw.orders) })
      .step(noiseMultiplier, sampleRate, steps)
      .getEpsilon(delta, parseConversion(raw.conversion));
    epsilon = result.epsilon;
    order = result.order;
  } else {
    epsilon = new PrvAccountant().step(noiseMultiplier, sampleRate, steps).getEpsilon(delta).epsilon;
  }
  if (raw.json === true) {
    write(`${JSON.stringify({ epsilon: Number.isFinite(epsilon) ? epsilon : null, order, accountant })}\n`);
    return;
  }
  const detail = order === null ? "PRV accountant" : `RDP accountant, optimal order ${order}`;
  write(
    `ε = ${format(epsilon)} at δ = ${delta} after ${steps} steps (q = ${sampleRate}, σ = ${noiseMultiplier}; ${detail})\n`,
  );
}

function noiseCommand(raw: Record<string, unknown>, write: Write): void {
  const targetEpsilon = checkPositive(parseNumber(raw.targetEpsilon), "--target-epsilon");
  const sampleRate = checkSampleRate(parseNumber(raw.sampleRate), "--sample-rate");
  const steps = checkSteps(parseNumber(raw.steps), "--steps");
  const delta = checkDelta(parseNumber(raw.delta), "--delta");
  const accountant = parseAccountant(raw.accountant);
  const noiseMultiplier = calibrateNoiseMultiplier({
    targetEpsilon,
    sampleRate,
    steps,
    delta,
    accountant,
    orders: parseOrders(raw.orders),
    conversion: parseConversion(raw.conversion),
    ...(accountant === "prv" ? { relativeTolerance: 1e-5 } : {}),
  });
  if (raw.json === true) {
    write(`${JSON.stringify({ noiseMultiplier })}\n`);
    return;
  }
  write(
    `σ = ${format(noiseMultiplier)}: the smallest noise multiplier with ε <= ${targetEpsilon} at δ = ${delta} ` +
      `after ${steps} steps at q = ${sampleRate} (${accountant.toUpperCase()} accountant)\n`,
  );
}

/**
 * `tributary privacy epsilon|noise`: the ε a DP-SGD run spends, and the noise multiplier a target ε needs, for
 * the Poisson-subsampled Gaussian mechanism. Bad arguments throw `InvalidPrivacyParameterError` naming the flag;
 * `main.ts` prints it and exits 1.
 */
export function registerPrivacyCommand(program: Command, write: Write = (text) => process.stdout.write(text)): void {
  const privacy = program.command("privacy").description("differential-privacy accounting for DP-SGD runs");
  const shared = (command: Command) =>
    command
      .requiredOption("--sample-rate <q>", "Poisson sampling rate q in (0, 1] (batch size / dataset size)")
      .requiredOption("--steps <t>", "number of steps (epochs / q)")
      .requiredOption("--delta <d>", "δ in (0, 1)")
      .option("--accountant <rdp|prv>", "RDP (Opacus/dp_accounting conversion) or PRV (tighter)", "rdp")
      .option("--orders <grid>", "RDP orders: dp-accounting, opacus, tf-privacy or a comma list", "dp-accounting")
      .option("--conversion <improved|classic>", "RDP → (ε, δ) conversion", "improved")
      .option("--json", "print one JSON object as the last line", false);
  shared(
    privacy
      .command("epsilon")
      .description("ε spent by steps of the Poisson-subsampled Gaussian mechanism")
      .requiredOption("--noise-multiplier <s>", "noise standard deviation / clip norm, >= 0"),
  ).action((raw: Record<string, unknown>) => epsilonCommand(raw, write));
  shared(
    privacy
      .command("noise")
      .description("smallest noise multiplier that keeps ε at or below a target")
      .requiredOption("--target-epsilon <e>", "the ε the whole run may spend, > 0"),
  ).action((raw: Record<string, unknown>) => noiseCommand(raw, write));
}
