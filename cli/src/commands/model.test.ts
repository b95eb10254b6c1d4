import { createHash } from "node:crypto";
import { sha256OfCid } from "@tributary/auditor";
import { bytesToWeights, type JobId, type ModelMetadata, signIn } from "@tributary/protocol";
import { parseEther, type Wallet } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ModelWorld, referenceScore, stakeAs, startModelWorld } from "../../test-support/model-world.js";
import { jsonLine, tributary } from "../../test-support/run-tributary.js";

let model: ModelWorld;
let jobId: JobId;
let provider: Wallet;

beforeAll(async () => {
  model = await startModelWorld();
  jobId = model.jobId;
  provider = await model.world.chain.fundedWallet();
});

afterAll(async () => {
  await model?.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const contracts = () => model.world.chain.system.contracts;
type ChainModel = Awaited<ReturnType<ReturnType<typeof contracts>["models"]["getModel"]>>;
/** A model as ModelRegistry returns it, as a plain object (an ethers Result is an array). */
const fields = (m: ChainModel) => ({
  provider: m.provider,
  active: m.active,
  jobId: m.jobId,
  modelHash: m.modelHash,
  licensePrice: m.licensePrice,
  pricePerToken: m.pricePerToken,
  stake: m.stake,
  endpoint: m.endpoint,
  modelURI: m.modelURI,
});
const register = (job: string, ...extra: string[]) =>
  tributary(
    "model",
    "register",
    ...model.flags(),
    "--job",
    job,
    "--price-per-token",
    "0.001",
    "--licence-price",
    "20",
    ...extra,
  );
const list = async (...filters: string[]) => {
  const result = await tributary("model", "list", ...model.flags(), "--json", ...filters);
  expect(result.stderr).toBe("");
  return (jsonLine(result.stdout) as { models: { modelId: string }[] }).models.map((listed) => listed.modelId);
};

describe("tributary model register", () => {
  it("refuses an unfinished job, a key that is neither researcher nor approved, and a short or too small stake", async () => {
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", model.researcher.privateKey);
    const open = await tributary(
      "job",
      "create",
      model.specFile,
      ...model.flags(),
      "--datasets",
      model.world.datasets[0] as string,
      "--rounds",
      "1",
      "--reward",
      "10",
      "--json",
    );
    const openJob = jsonLine(open.stdout).jobId as string;
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", model.researcher.privateKey);
    const unfinished = await register(openJob, "--stake", "1000");
    expect(unfinished.code).toBe(1);
    expect(unfinished.stderr).toMatch(
      new RegExp(
        `^tributary: job ${openJob} is (Open|Running) on TrainingJobs: its model can be registered once the job is finalised\\n$`,
      ),
    );
    const unstaked = await register(jobId, "--stake", "1000", "--json");
    expect(unstaked.code).toBe(1);
    expect(unstaked.stderr).toContain("only 0 TRIB of it is free (0 TRIB staked, 0 TRIB locked by other models)");
    expect(jsonLine(unstaked.stdout)).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_STAKE" } });
    const small = await register(jobId, "--stake", "10");
    expect(small.stderr).toBe(
      "tributary: --stake 10 TRIB is below ModelRegistry's minimum stake per model, 1000 TRIB\n",
    );
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", provider.privateKey);
    const stranger = await register(jobId, "--stake", "1000");
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain(
      `${provider.address.toLowerCase()} is neither job ${jobId}'s researcher (${model.researcher.address.toLowerCase()}) nor a provider it approved`,
    );
    expect(await contracts().models.modelCount()).toBe(0n);
  });

  it("lists the final model with its anchored hash, its layout, its accuracy on the validation set and ε", async () => {
    await stakeAs(model, model.researcher, "1000");
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", model.researcher.privateKey);
    const result = await register(jobId, "--stake", "1000", "--endpoint", "https://inference.example", "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = jsonLine(result.stdout) as { modelId: string; modelURI: string };
    expect(line.modelId).toBe("1");
    const { models, jobs, staking } = contracts();
    const registered = fields(await models.getModel(1n));
    const anchored = (await jobs.getRound(BigInt(jobId), 2n)).modelHash;
    expect(registered).toMatchObject({
      provider: model.researcher.address,
      active: true,
      jobId: BigInt(jobId),
      modelHash: anchored,
      licensePrice: parseEther("20"),
      pricePerToken: parseEther("0.001"),
      stake: parseEther("1000"),
      endpoint: "https://inference.example",
      modelURI: line.modelURI,
    });
    expect(await staking.lockedOf(model.researcher.address)).toBe(parseEther("1000"));

    // The metadata the URI names, served by the coordinator: its bytes hash to the CID on chain.
    const cid = line.modelURI.replace("ipfs://", "");
    const served = new Uint8Array(
      await (await fetch(`${model.world.coordinator.url}/model-metadata/${cid}`)).arrayBuffer(),
    );
    expect(`0x${createHash("sha256").update(served).digest("hex")}`).toBe(sha256OfCid(cid));
    const metadata = JSON.parse(new TextDecoder().decode(served)) as ModelMetadata;
    // The accuracy and loss are the final model's on the validation set, as a float64 forward pass computes them.
    const { url } = model.world.coordinator;
    const { token } = await signIn(url, model.researcher, model.world.chain.chainId);
    const download = await fetch(`${url}/models/${metadata.modelCid}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const weights = bytesToWeights(new Uint8Array(await download.arrayBuffer()));
    const reference = referenceScore(weights);
    expect(metadata.validation?.accuracy).toBe(reference.accuracy);
    expect(metadata.validation?.loss).toBeCloseTo(reference.loss, 5);
    expect(reference.accuracy).toBeLessThan(1);
    expect(metadata).toMatchObject({
      jobId,
      modelHash: anchored,
      parameters: 10,
      task: "regression",
      jobSpec: { name: "researcher cli", model: { inputShape: [4] } },
      validation: { examples: 6 },
      // The scripted trainers train without differential privacy: their leaves sign a null ε.
      privacy: model.world.datasets.map((datasetId) => ({ datasetId, epsilon: null })),
    });
  });

  it("approve lets a provider register the job's model; only the researcher approves", async () => {
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", provider.privateKey);
    const flags = [...model.chainFlags(), "--job", jobId, "--provider", provider.address];
    const self = await tributary("model", "approve", ...flags);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain(`job ${jobId} was created by ${model.researcher.address.toLowerCase()}`);
    vi.stubEnv("TRIBUTARY_RESEARCHER_KEY", model.researcher.privateKey);
    const approved = await tributary("model", "approve", ...flags);
    expect(approved.code).toBe(0);
    expect(await contracts().models.isProviderApproved(BigInt(jobId), provider.address)).toBe(true);
    await stakeAs(model, provider, "1000");
    vi.stubEnv("TRIBUTARY_PROVIDER_KEY", provider.privateKey);
    const listed = await register(jobId, "--stake", "1000", "--licence-price", "5", "--json");
    expect(listed.stderr).toBe("");
    expect(jsonLine(listed.stdout)).toMatchObject({ ok: true, modelId: "2" });
    expect(fields(await contracts().models.getModel(2n))).toMatchObject({
      provider: provider.address,
      licensePrice: parseEther("5"),
    });
  });
});

describe("tributary model list and show", () => {
  it("filters by task, accuracy, price, reputation, ε and job", async () => {
    const shown = jsonLine((await tributary("model", "show", "1", ...model.flags(), "--json")).stdout) as {
      model: { metadata: ModelMetadata; metadataProblem: string | null };
    };
    expect(shown.model.metadataProblem).toBeNull();
    const measured = shown.model.metadata.validation?.accuracy as number;
    expect(await list()).toEqual(["1", "2"]);
    expect(await list("--max-price", "10")).toEqual(["2"]);
    expect(await list("--max-price", "20")).toEqual(["1", "2"]);
    expect(await list("--max-price-per-token", "0.0009")).toEqual([]);
    expect(await list("--min-accuracy", String(measured))).toEqual(["1", "2"]);
    expect(await list("--min-accuracy", String(measured + 0.01))).toEqual([]);
    expect(await list("--task", "regression")).toEqual(["1", "2"]);
    expect(await list("--task", "classification")).toEqual([]);
    expect(await list("--task", "RESEARCHER")).toEqual(["1", "2"]);
    expect(await list("--min-reputation", "1")).toEqual([]);
    // Trained without differential privacy: no ε bound at all, so no model meets any --max-epsilon.
    expect(await list("--max-epsilon", "1000")).toEqual([]);
    expect(await list("--job", jobId)).toEqual(["1", "2"]);
    expect(await list("--job", "999")).toEqual([]);
  });

  it("show prints the chain's record and the checked metadata; an unknown model is refused", async () => {
    const human = await tributary("model", "show", "2", ...model.flags());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`provider +${provider.address.toLowerCase()} +stake locked 1000 TRIB`));
    expect(human.stdout).toMatch(/metadata +ipfs:\/\/b[a-z2-7]+ +checked against ModelRegistry and TrainingJobs/);
    expect(human.stdout).toMatch(/accuracy +\d+\.\d{2}% +loss [\d.]+ on 6 examples of b[a-z2-7]+/);
    expect(human.stdout).toMatch(/layout +input \[4\] +dense/);
    const unknown = await tributary("model", "show", "999", ...model.flags());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^tributary: ModelRegistry 0x[0-9a-fA-F]{40} knows no model 999\n$/);
  });
});
