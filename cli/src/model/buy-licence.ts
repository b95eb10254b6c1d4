import type { ModelRegistry } from "@tributary/contracts/typed";
import { TributaryError } from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";
import {
  ensureSpend,
  formatToken,
  parseTokenAmount,
  type SpendReport,
  type TokenInfo,
  tokenInfo,
} from "../chain/spend.js";
import { type MinedTransaction, sendAndWait } from "../chain/transactions.js";
import { registeredModel } from "./model-catalogue.js";

/** A licence bought: what was paid and how ModelRegistry split it (`LicensePurchased`). Amounts in base units. */
export interface LicencePurchase {
  readonly modelId: string;
  readonly buyer: string;
  readonly token: TokenInfo;
  readonly price: bigint;
  readonly fee: bigint;
  readonly providerShare: bigint;
  readonly researcherShare: bigint;
  readonly contributorShare: bigint;
  readonly spend: SpendReport;
  readonly transactions: readonly MinedTransaction[];
}

/**
 * Buys a licence to model `modelId` for `buyer` at no more than `maxPrice` (tokens, in the model's payment token).
 * Refuses before anything is sent: an unknown or deactivated model, a licence already held, a price above
 * `maxPrice`, a short balance, or a short allowance under `approve: false` (`ensureSpend`). The purchase passes
 * `maxPrice` on to ModelRegistry, so a price raised before it is mined makes it revert rather than charge more.
 */
export async function buyLicence(
  out: Output,
  input: { buyer: Wallet; models: ModelRegistry; modelId: bigint; maxPrice: string; approve: boolean },
): Promise<LicencePurchase> {
  const { buyer, models, modelId } = input;
  const provider = buyer.provider;
  if (provider === null) throw new TypeError("buyLicence needs a buyer connected to the chain");
  const registry = await models.getAddress();
  const model = await registeredModel(models, modelId);
  if (model === undefined) {
    throw new RefusedError("UNKNOWN_MODEL", `ModelRegistry ${registry} knows no model ${modelId}`, {
      modelId: String(modelId),
    });
  }
  if (!model.active) {
    throw new RefusedError("MODEL_INACTIVE", `model ${modelId} is deactivated: it sells no licences`);
  }
  const who = buyer.address.toLowerCase();
  if (await models.hasLicense(modelId, who)) {
    throw new RefusedError("ALREADY_LICENSED", `${who} already holds a licence for model ${modelId}`);
  }
  const token = await tokenInfo(model.paymentToken, provider);
  const maxPrice = parseTokenAmount(input.maxPrice, token, "--max-price");
  const price = model.licensePrice;
  if (price > maxPrice) {
    throw new RefusedError(
      "PRICE_ABOVE_MAX",
      `model ${modelId}'s licence costs ${formatToken(price, token)}, above --max-price ${formatToken(maxPrice, token)}: nothing was sent`,
      { price, maxPrice },
    );
  }
  const spend = await ensureSpend(out, {
    purpose: `licence for model ${modelId}`,
    token,
    signer: buyer,
    spender: { name: "ModelRegistry", address: registry },
    amount: price,
    approve: input.approve,
  });
  const purchase = await sendAndWait(out, {
    description: `buy a licence for model ${modelId} at ${formatToken(price, token)}`,
    call: "ModelRegistry.purchaseLicense",
    send: () => models.purchaseLicense(modelId, maxPrice),
  });
  const logs = await models.queryFilter(
    models.filters.LicensePurchased(modelId, who),
    purchase.blockNumber,
    purchase.blockNumber,
  );
  const sold = logs.find((log) => log.transactionHash === purchase.hash);
  if (sold === undefined)
    throw new TributaryError("NO_EVENT", `ModelRegistry emitted no LicensePurchased in ${purchase.hash}`);
  return {
    modelId: String(modelId),
    buyer: who,
    token,
    price: sold.args.price,
    fee: sold.args.fee,
    providerShare: sold.args.providerShare,
    researcherShare: sold.args.researcherShare,
    contributorShare: sold.args.contributorShare,
    spend,
    transactions: spend.approval === undefined ? [purchase] : [spend.approval, purchase],
  };
}
