import { stat } from "node:fs/promises";
import path from "node:path";
import { DeterministicModel } from "@tributary/deterministic-inference";
import type { Wallet } from "ethers";
import type { ChainSession } from "../chain/chain-session.js";
import type { Output } from "../chain/output.js";
import { MODEL_FILES } from "../job/job-model.js";
import { downloadLicensedModel } from "../model/download-licensed-model.js";
import { modelsOnChain } from "../model/model-catalogue.js";
import { readModelFiles } from "../provider/registered-model-files.js";

/**
 * The deterministic path of registered model `modelId`, which a challenger or committee member re-executes tasks
 * with: the weights in `dir` (as `job model` or `model download` writes them), checked against ModelRegistry's
 * `modelHash` (and the job's spec), quantised canonically (`DeterministicModel.fromFloat(spec, weights)`, as the
 * provider does). When `dir` holds no weights and `download` is given, they are downloaded first as a licence holder
 * (`model download`'s core).
 */
export async function loadVerificationModel(
  out: Output,
  chain: ChainSession,
  modelId: bigint,
  dir: string,
  download?: { readonly coordinator: string; readonly wallet: Wallet },
): Promise<DeterministicModel> {
  const weightsFile = path.join(dir, MODEL_FILES.flat);
  const present = await stat(weightsFile).then(
    () => true,
    () => false,
  );
  if (!present && download !== undefined) {
    out.say(
      `downloading model ${modelId}'s weights from ${download.coordinator} as licence holder ${download.wallet.address}`,
    );
    await downloadLicensedModel({
      chain: await modelsOnChain(chain),
      coordinatorUrl: download.coordinator,
      buyer: download.wallet.connect(chain.provider),
      modelId,
      dir,
    });
  }
  const registered = await readModelFiles(chain, modelId, dir);
  const model = DeterministicModel.fromFloat(registered.spec, registered.weights);
  out.say(`model ${modelId}: weights ${registered.modelHash} checked; deterministic model ${model.modelHash}`);
  return model;
}
