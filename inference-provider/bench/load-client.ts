/**
 * A load generator thread for `npm run bench:inference`: some of the benchmark's clients, each sending its paid
 * requests one after another (its vouchers were signed in order on its own channel), over keep-alive HTTP/1.1.
 * It builds each request from the shared examples and the request's id and voucher, waits for the main thread's
 * "go", and answers with every request's latency and this thread's CPU time, so the benchmark can tell whether the
 * clients or the provider were the limit.
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { INFERENCE_BINARY_TYPE, INFERENCE_HEADERS, type SignedVoucherWire } from "@tributary/protocol";

export interface LoadRequest {
  readonly requestId: string;
  readonly payment: SignedVoucherWire;
}

export interface LoadJob {
  readonly url: string;
  readonly format: "json" | "binary";
  /** Examples per request and the model's input shape per example. */
  readonly examples: number;
  readonly inputShape: readonly number[];
  /** The examples of every request, packed row-major. */
  readonly input: Float32Array;
  /** Per client: its requests in order; the first one warms up (the provider reads the channel once). */
  readonly clients: readonly (readonly LoadRequest[])[];
}

export interface LoadResult {
  /** Milliseconds per measured request, as the client saw it (send to last byte of the answer). */
  readonly latenciesMs: Float64Array;
  /** Sum of the examples per model call that served each request (the batch-size header). */
  readonly batchSum: number;
  /** This thread's CPU time and the wall time of the measured part, in milliseconds. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

interface Answer {
  readonly status: number;
  readonly batch: number;
  readonly body: string;
}

const job = workerData as LoadJob;
const target = new URL(`${job.url}/v1/predict`);
const agent = new Agent({ keepAlive: true, maxSockets: job.clients.length });
const bodyBytes = Buffer.from(job.input.buffer, job.input.byteOffset, job.input.byteLength);
const inputsJson = JSON.stringify(
  Array.from({ length: job.examples }, (_, index) => {
    const size = job.inputShape.reduce((product, axis) => product * axis, 1);
    return Array.from(job.input.subarray(index * size, (index + 1) * size));
  }),
);
const shapeHeader = [job.examples, ...job.inputShape].join(",");

function send(item: LoadRequest): Promise<Answer> {
  const binary = job.format === "binary";
  const body = binary
    ? bodyBytes
    : `{"requestId":"${item.requestId}","inputs":${inputsJson},"payment":${JSON.stringify(item.payment)}}`;
  const headers: Record<string, string | number> = binary
    ? {
        "content-type": INFERENCE_BINARY_TYPE,
        "content-length": bodyBytes.byteLength,
        [INFERENCE_HEADERS.requestId]: item.requestId,
        [INFERENCE_HEADERS.inputShape]: shapeHeader,
        [INFERENCE_HEADERS.payment]: JSON.stringify(item.payment),
      }
    : { "content-type": "application/json", "content-length": Buffer.byteLength(body as string) };
  return new Promise((resolve, reject) => {
    const outgoing = request(target, { method: "POST", agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          batch: Number(response.headers["x-tributary-batch-size"] ?? 0),
          body: chunks.length === 1 && response.statusCode === 200 ? "" : Buffer.concat(chunks).toString(),
        }),
      );
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

async function served(item: LoadRequest): Promise<Answer> {
  const answer = await send(item);
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 300)}`);
  return answer;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("load-client runs as a worker thread");
  await Promise.all(job.clients.map((requests) => served(requests[0] as LoadRequest)));
  const go = new Promise((resolve) => port.once("message", resolve));
  port.postMessage("ready");
  await go;
  const measured = job.clients.reduce((total, requests) => total + requests.length - 1, 0);
  const latenciesMs = new Float64Array(measured);
  let next = 0;
  let batchSum = 0;
  const cpu = process.threadCpuUsage();
  const start = performance.now();
  await Promise.all(
    job.clients.map(async (requests) => {
      for (const item of requests.slice(1)) {
        const sent = performance.now();
        const answer = await served(item);
        latenciesMs[next++] = performance.now() - sent;
        batchSum += answer.batch;
      }
    }),
  );
  const wallMs = performance.now() - start;
  const used = process.threadCpuUsage(cpu);
  agent.destroy();
  const result: LoadResult = { latenciesMs, batchSum, cpuMs: (used.user + used.system) / 1000, wallMs };
  port.postMessage(result, [latenciesMs.buffer]);
}

await main();
