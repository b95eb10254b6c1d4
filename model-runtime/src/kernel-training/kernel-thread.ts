import { parentPort, workerData } from "node:worker_threads";
import { KernelNetwork } from "./kernel-network.js";
import {
  type KernelThreadInit,
  type KernelThreadReply,
  type KernelThreadRequest,
  updateRange,
} from "./kernel-thread-messages.js";

/**
 * A worker thread of a multi-threaded `KernelTrainer`: its own WebAssembly instance and memory (a `KernelNetwork`
 * for its share of the batch), stepping when the trainer asks. Each step it loads the shared weights, computes
 * its share's gradient into its shared slot, then, asked again, applies the summed update to its range of weights.
 */
const init = workerData as KernelThreadInit;
const network = new KernelNetwork(init.layers, init.capacity);
const identity = Int32Array.from({ length: init.capacity }, (_, i) => i);
const port = parentPort;
if (port === null) throw new Error("kernel-thread runs as a worker thread");

port.on("message", (request: KernelThreadRequest) => {
  let reply: KernelThreadReply;
  try {
    if (request.type === "gradients") {
      const size = network.size;
      const slot = init.gradients.subarray(init.slot * size, (init.slot + 1) * size);
      if (request.count === 0) {
        slot.fill(0);
        reply = { type: "gradients", loss: 0, correct: 0 };
      } else {
        network.setWeights(init.weights);
        network.loadBatch(init.features, init.labels, identity.subarray(0, request.count), 1);
        const { loss, correct } = network.computeGradients(request.divisor);
        network.getGradients(slot);
        reply = { type: "gradients", loss, correct };
      }
    } else {
      updateRange(init, request.from, request.to, request.learningRate, request.mu);
      reply = { type: "update" };
    }
  } catch (error) {
    reply = { type: "error", message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
