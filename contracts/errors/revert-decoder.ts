import { ErrorFragment, Interface, type Result } from "ethers";
import * as abis from "../abi/generated.js";

/** A custom error a contract reverted with, decoded: `StakingInsufficientStake(account=0x…, available=0, …)`. */
export interface DecodedRevert {
  readonly name: string;
  /** Each argument by its ABI name, as a string (decimal for integers). */
  readonly args: Readonly<Record<string, string>>;
  /** `Name(arg=value, …)`. */
  readonly text: string;
}

/**
 * Every custom error of every deployed contract, once each: a call into one contract can revert with another's
 * error (Staking pulling TRIB reverts with the token's `ERC20InsufficientAllowance`).
 */
const ERRORS = (() => {
  const seen = new Map<string, ErrorFragment>();
  for (const abi of Object.values(abis)) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const fragment = ErrorFragment.from(item);
      seen.set(fragment.selector, fragment);
    }
  }
  return new Interface([...seen.values()]);
})();

/** The revert data somewhere in an ethers or JSON-RPC error (`data`, nested in `error`, `info` or `cause`). */
function revertData(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== "object" || depth > 4) return undefined;
  const { data } = error as { data?: unknown };
  if (typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data)) return data;
  for (const key of ["error", "info", "cause"]) {
    const found = revertData((error as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A uint argument named like a time (`releaseTime`, `deadline`) between 2001 and 2286 also shows as a date. */
function show(value: unknown, name = ""): string {
  if (typeof value === "bigint") {
    const isTime = /time$|deadline|until|at$/i.test(name) && value >= 1_000_000_000n && value < 10_000_000_000n;
    return isTime ? `${value} (${new Date(Number(value) * 1000).toISOString()})` : value.toString();
  }
  if (Array.isArray(value)) return `[${value.map((item) => show(item)).join(", ")}]`;
  return String(value);
}

/** Decodes revert data with the deployment's errors (and Solidity's `Error(string)`, `Panic(uint256)`). */
export function decodeRevertData(data: string): DecodedRevert | undefined {
  let parsed: { name: string; args: Result; fragment: ErrorFragment } | null;
  try {
    parsed = ERRORS.parseError(data);
  } catch {
    return undefined;
  }
  if (parsed === null) return undefined;
  const { fragment, args: values } = parsed;
  const name = (index: number) => fragment.inputs[index]?.name || `arg${index}`;
  const args = Object.fromEntries(fragment.inputs.map((_, index) => [name(index), show(values[index])]));
  const text = `${parsed.name}(${fragment.inputs.map((input, index) => `${name(index)}=${show(values[index], input.name)}`).join(", ")})`;
  return { name: parsed.name, args, text };
}

/** The custom error a failed call, gas estimate or transaction carries, decoded; undefined when it carries none. */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  const data = revertData(error);
  return data === undefined ? undefined : decodeRevertData(data);
}
