import {
  type DeterministicModel,
  decodeRequestBytes,
  deterministicResponseHash,
} from "@tributary/deterministic-inference";
import { type Bytes32, TributaryError } from "@tributary/protocol";
import type { RequestSource } from "./request-source.js";

/**
 * What re-executing a task found: the provider's response hash is the registered model's (`agrees`) or not
 * (`differs`, with the hash that is); or the check could not be made: no source had the request (`unavailable`), or
 * the request does not fit the model (`unusable`).
 */
export interface TaskCheck {
  readonly taskId: bigint;
  readonly inputHash: Bytes32;
  /** The response hash the provider submitted. */
  readonly responseHash: Bytes32;
  readonly verdict: "agrees" | "differs" | "unavailable" | "unusable";
  /** The response hash re-execution gives (agrees, differs). */
  readonly recomputed?: Bytes32;
  /** Where the request came from (agrees, differs), or why the check could not be made. */
  readonly from?: string;
  readonly reason?: string;
  /** Whether the request names this model's quantisation (false: the provider was asked about another model). */
  readonly requestNamesModel?: boolean;
}

/**
 * The correct response hash of a task whose request is `bytes`: the registered model's deterministic path (its
 * canonical quantisation, `DeterministicModel.fromFloat(spec, weights)`) run on the quantised inputs in the request,
 * hashed over the request's hash (`deterministicResponseHash(inputHash, …)`). The request must hash to the task's
 * `inputHash` and fit the model; it normally names this model's quantised hash (`requestNamesModel`).
 */
export function correctResponseHash(model: DeterministicModel, inputHash: Bytes32, bytes: Uint8Array) {
  const request = decodeRequestBytes(bytes);
  if (request.inputSize !== model.inputSize) {
    throw new TributaryError(
      "REQUEST_UNUSABLE",
      `the request has ${request.inputSize} values per example, the model takes ${model.inputSize}`,
    );
  }
  const logits = model.run(request.inputs);
  return {
    responseHash: deterministicResponseHash(inputHash, model.outputSize, logits),
    requestNamesModel: request.modelHash === model.modelHash,
  };
}

/** Checks tasks of one model by re-executing their requests with the registered weights. */
export class TaskChecker {
  constructor(
    readonly model: DeterministicModel,
    private readonly requests: RequestSource,
  ) {}

  async check(task: { taskId: bigint; inputHash: string; responseHash: string }): Promise<TaskCheck> {
    const base = {
      taskId: task.taskId,
      inputHash: task.inputHash.toLowerCase() as Bytes32,
      responseHash: task.responseHash.toLowerCase() as Bytes32,
    };
    const fetched = await this.requests.fetch(base.inputHash);
    if (fetched.bytes === undefined) {
      return { ...base, verdict: "unavailable", reason: `no source has the request: ${fetched.problems.join("; ")}` };
    }
    let recomputed: ReturnType<typeof correctResponseHash>;
    try {
      recomputed = correctResponseHash(this.model, base.inputHash, fetched.bytes);
    } catch (error) {
      if (!(error instanceof TributaryError)) throw error;
      return { ...base, verdict: "unusable", from: fetched.from, reason: error.message };
    }
    return {
      ...base,
      verdict: recomputed.responseHash === base.responseHash ? "agrees" : "differs",
      recomputed: recomputed.responseHash,
      from: fetched.from,
      requestNamesModel: recomputed.requestNamesModel,
    };
  }
}
