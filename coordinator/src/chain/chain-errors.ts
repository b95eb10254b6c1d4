import { TributaryError } from "@tributary/protocol";
import { type Interface, isCallException } from "ethers";

/** A chain write whose call reverts with a custom error the contract's ABI names. */
export interface DecodedRevert {
  readonly name: string;
  /** Arguments in declaration order as text: numbers in decimal, structs and arrays as JSON. */
  readonly args: string[];
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/**
 * The custom error a failed `eth_call`/`eth_estimateGas` carries, decoded with `abi`; `undefined` when `error` is
 * not a revert (an RPC or network failure) or its data matches no error of the ABI.
 */
export function decodeRevert(error: unknown, abi: Interface): DecodedRevert | undefined {
  if (!isCallException(error)) return undefined;
  const data = error.data;
  if (typeof data !== "string" || data.length < 10) return undefined;
  const parsed = abi.parseError(data);
  if (parsed === null) return undefined;
  const text = (value: unknown) => {
    const simple = plain(value);
    return typeof simple === "string" ? simple : JSON.stringify(simple);
  };
  return { name: parsed.name, args: [...parsed.args].map(text) };
}

/** Whether `error` is a revert at all (as opposed to the RPC being unreachable or failing). */
export function isRevert(error: unknown): boolean {
  return isCallException(error);
}

/** An intent conflicts with one already in the outbox for the same effect (same round, other root). */
export class ChainIntentConflictError extends TributaryError {
  constructor(key: string, existing: unknown, requested: unknown) {
    super("CHAIN_INTENT_CONFLICT", `the outbox already holds ${key} with other arguments`, {
      details: { key, existing, requested },
    });
  }
}

/** The node behind the RPC URL is on another chain than configured. */
export class ChainIdMismatchError extends TributaryError {
  constructor(expected: number, actual: bigint) {
    super("CHAIN_ID_MISMATCH", `the RPC serves chain ${actual}, not the configured chain ${expected}`, {
      details: { expected, actual: actual.toString() },
    });
  }
}

/** No JobSpec in the blob store hashes to an on-chain job's model-spec hash. */
export class JobSpecNotFoundError extends TributaryError {
  constructor(modelSpecHash: string, cid: string) {
    super("JOB_SPEC_NOT_FOUND", `no JobSpec uploaded with SHA-256 ${modelSpecHash} (blob ${cid})`, {
      details: { modelSpecHash, cid },
    });
  }
}

/** The uploaded JobSpec disagrees with the job created on chain. */
export class JobSpecMismatchError extends TributaryError {
  constructor(jobId: string, field: string, onChain: unknown, inSpec: unknown) {
    super(
      "JOB_SPEC_MISMATCH",
      `on-chain job ${jobId}: ${field} is ${String(onChain)} on chain, ${String(inSpec)} in the JobSpec`,
      {
        details: { jobId, field, onChain, inSpec },
      },
    );
  }
}

/** A short description of an RPC or network error: the node's own message when ethers wrapped one. */
export function describeError(error: unknown): string {
  const wrapped = error as { error?: { message?: unknown }; shortMessage?: unknown; message?: unknown };
  const inner = typeof wrapped?.error?.message === "string" ? wrapped.error.message : undefined;
  const text =
    inner ?? (typeof wrapped?.shortMessage === "string" ? wrapped.shortMessage : String(wrapped?.message ?? error));
  return text.slice(0, 500);
}
