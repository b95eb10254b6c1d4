import { type StrategySpec, TributaryError } from "@tributary/protocol";

export const STRATEGY_NAMES = [
  "fedavg",
  "fedavgm",
  "fedadagrad",
  "fedadam",
  "fedyogi",
  "krum",
  "multikrum",
  "trimmedmean",
  "median",
  "bulyan",
  "centredclip",
  "fltrust",
] as const;

/**
 * The strategy `--strategy NAME` means for `clients` trainers: adaptive optimisers with the server learning
 * rates of Reddi et al. (2021)'s grid; robust rules tolerating as many Byzantine trainers as `clients` allows
 * (Krum n ≥ 2f + 3, Bulyan n ≥ 4f + 3, trimmed mean n ≥ 2·trim + 1), at least one; FLTrust with the root dataset
 * the researcher uploaded (`rootDatasetCid`).
 */
export function demoStrategy(name: string, clients: number, rootDatasetCid?: string): StrategySpec {
  const tooFew = (needed: number) =>
    new TributaryError(
      "INVALID_INPUT",
      `--strategy ${name} needs at least ${needed} clients to tolerate one Byzantine trainer (got --clients ${clients})`,
    );
  switch (name) {
    case "fedavg":
    case "median":
      return { name };
    case "fedavgm":
      return { name, serverLr: 1, momentum: 0.9 };
    case "centredclip":
      return { name, iterations: 3 };
    case "fltrust":
      if (rootDatasetCid === undefined) {
        throw new TributaryError("INVALID_INPUT", "--strategy fltrust needs the root dataset the researcher uploaded");
      }
      return { name, rootDatasetCid };
    case "fedadagrad":
      return { name, serverLr: 0.1, tau: 1e-3 };
    case "fedadam":
    case "fedyogi":
      return { name, serverLr: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 };
    case "krum":
    case "multikrum": {
      const f = Math.floor((clients - 3) / 2);
      if (f < 1) throw tooFew(5);
      return name === "krum" ? { name, f } : { name, f, m: clients - f };
    }
    case "trimmedmean": {
      const trim = Math.floor((clients - 1) / 2);
      if (trim < 1) throw tooFew(3);
      return { name, trim: Math.min(trim, Math.max(1, Math.floor(clients / 5))) };
    }
    case "bulyan": {
      const f = Math.floor((clients - 3) / 4);
      if (f < 1) throw tooFew(7);
      return { name, f };
    }
    default:
      throw new TributaryError("INVALID_INPUT", `--strategy ${name} is not one of ${STRATEGY_NAMES.join(", ")}`);
  }
}
