import { connectModelRegistry, connectPaymentChannels, connectTributaryToken } from "@tributary/contracts/typed";
import { formatEther, type Signer } from "ethers";

/** A transaction the buyer's wallet would not send or the chain refused, in words. */
export function chainErrorMessage(error: unknown): string {
  const e = error as { code?: string; reason?: string; shortMessage?: string; message?: string };
  if (e.code === "ACTION_REJECTED") return "you rejected the transaction in your wallet: nothing was sent";
  if (e.code === "INSUFFICIENT_FUNDS") return "the account has not enough ETH to pay for gas";
  if (e.reason !== undefined && e.reason !== null) return `the chain refused it: ${e.reason}`;
  return e.shortMessage ?? e.message ?? String(error);
}

/**
 * Checks `owner` holds `amount` of `token` and lets `spender` take it: approves exactly `amount` when the allowance
 * is short. Refuses, before anything is sent, when the balance is short.
 */
async function approveSpend(signer: Signer, token: string, spender: string, amount: bigint, purpose: string) {
  const owner = await signer.getAddress();
  const erc20 = connectTributaryToken(token, signer);
  const [balance, allowance] = await Promise.all([erc20.balanceOf(owner), erc20.allowance(owner, spender)]);
  if (balance < amount) {
    throw new Error(
      `${purpose} needs ${formatEther(amount)} tokens; ${owner} holds ${formatEther(balance)}: nothing was sent`,
    );
  }
  if (allowance < amount) await (await erc20.approve(spender, amount)).wait();
}

/**
 * Buys a licence to model `modelId` at `price` through the wallet: approves ModelRegistry for exactly the price when
 * needed, then `purchaseLicense(modelId, price)`, so a price raised meanwhile reverts rather than charges more.
 */
export async function buyLicence(
  signer: Signer,
  registry: string,
  model: { modelId: bigint; licencePrice: bigint; paymentToken: string },
): Promise<string> {
  await approveSpend(
    signer,
    model.paymentToken,
    registry,
    model.licencePrice,
    `the licence for model ${model.modelId}`,
  );
  const sent = await connectModelRegistry(registry, signer).purchaseLicense(model.modelId, model.licencePrice);
  const receipt = await sent.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`the purchase ${sent.hash} failed on chain`);
  return sent.hash;
}

/**
 * Opens a payment channel to `provider` through the wallet: approves PaymentChannels for the deposit when needed,
 * then `open(provider, token, deposit, now + expiresInS)`; the channel's id is read from its ChannelOpened event.
 */
export async function openChannel(
  signer: Signer,
  paymentChannels: string,
  open: { provider: string; token: string; deposit: bigint; expiresInS: number },
): Promise<bigint> {
  await approveSpend(signer, open.token, paymentChannels, open.deposit, "the channel's deposit");
  const channels = connectPaymentChannels(paymentChannels, signer);
  const block = await signer.provider?.getBlock("latest");
  const expiry = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)) + BigInt(open.expiresInS);
  const sent = await channels.open(open.provider, open.token, open.deposit, expiry);
  const receipt = await sent.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`opening the channel (${sent.hash}) failed on chain`);
  const buyer = await signer.getAddress();
  const events = await channels.queryFilter(
    channels.filters.ChannelOpened(undefined, buyer, open.provider),
    receipt.blockNumber,
    receipt.blockNumber,
  );
  const event = events.find((log) => log.transactionHash === sent.hash);
  if (event === undefined) throw new Error(`PaymentChannels emitted no ChannelOpened in ${sent.hash}`);
  return event.args.channelId;
}
