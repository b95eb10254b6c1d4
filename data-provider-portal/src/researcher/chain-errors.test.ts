import { Interface } from "ethers";
import { describe, expect, it } from "vitest";
import { chainErrorText } from "./chain-errors.js";

/** The custom error written here from its Solidity signature, not from the deployment's ABIs the decoder reads. */
const TRAINING_JOBS = new Interface(["error TrainingJobsNotCancellable(uint256 jobId, uint256 staleAt)"]);

describe("chainErrorText", () => {
  it("says a refused cancel in the contract's words, found nested where ethers and the wallet put revert data", () => {
    const data = TRAINING_JOBS.encodeErrorResult("TrainingJobsNotCancellable", [7n, 1_900_000_000n]);
    // As ethers wraps a failed gas estimate: the node's JSON-RPC error under `info.error`.
    const error = Object.assign(new Error("execution reverted (unknown custom error)"), {
      code: "CALL_EXCEPTION",
      info: { error: { code: 3, message: "execution reverted", data } },
    });
    expect(chainErrorText(error)).toBe(
      "the chain refused it: TrainingJobsNotCancellable(jobId=7, staleAt=1900000000 (2030-03-17T17:46:40.000Z))",
    );
  });

  it("says what the wallet did when it sent nothing", () => {
    expect(chainErrorText({ code: "ACTION_REJECTED", message: "user rejected" })).toBe(
      "you rejected the transaction in your wallet: nothing was sent",
    );
    expect(chainErrorText(new Error("could not coalesce error"))).toBe("could not coalesce error");
  });
});
