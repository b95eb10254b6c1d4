import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import type { LocalChain } from "@tributary/contracts/local-chain";
import type { RegisteredModel } from "@tributary/inference-provider";
import { type ModelSpec, weightsToBytes } from "@tributary/protocol";
import type { JsonRpcProvider, Wallet } from "ethers";
import { registerModel, WORLD_SPEC, worldWeights } from "../../inference-provider/test-support/provider-world.js";
import { type DeployedChain, startDeployedChain } from "./deployed-chain.js";

/** Writes `weights` of a model of architecture `spec` into `dir` as `tributary job model` does (weights.f32, job-spec.json). */
export async function writeModelDir(dir: string, spec: ModelSpec, weights: Float32Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "weights.f32"), weightsToBytes(weights));
  const jobSpec = { name: "served", model: spec, datasetIds: ["1"], rounds: 1, learningRate: 0.1 };
  await writeFile(path.join(dir, "job-spec.json"), JSON.stringify(jobSpec));
}

/** A TCP port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** Resolves once `check` answers true (polled every 50 ms, at most 30 s). */
export async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not reached");
}

/** A chain with a provider whose model (`WORLD_SPEC`) is registered at `price` per example, and a buyer with TRIB. */
export interface ServedModelWorld {
  readonly deployed: DeployedChain;
  readonly chain: LocalChain;
  readonly rpc: JsonRpcProvider;
  readonly providerWallet: Wallet;
  readonly buyer: Wallet;
  readonly model: RegisteredModel;
  /** The model's files, as `tributary job model` writes them. */
  readonly modelDir: string;
}

/** Starts a `ServedModelWorld` whose weights are drawn with `seed`. */
export async function startServedModelWorld(seed: number, price: bigint): Promise<ServedModelWorld> {
  const deployed = await startDeployedChain();
  const { chain } = deployed;
  const [providerWallet, buyer] = (await chain.fundedWallets(2, { tokens: 10_000n * 10n ** 18n })) as [Wallet, Wallet];
  const model = await registerModel(chain, providerWallet, await worldWeights(seed), price);
  const modelDir = path.join(deployed.dir, "model");
  await writeModelDir(modelDir, WORLD_SPEC, model.weights);
  return { deployed, chain, rpc: deployed.provider, providerWallet, buyer, model, modelDir };
}
