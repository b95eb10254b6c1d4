import { connectTributaryToken } from "@tributary/contracts/typed";
import { AddressSchema, parseInput, TributaryError } from "@tributary/protocol";
import { z } from "zod";
import { withChain } from "../chain/chain-session.js";
import { ChainOptionsShape, type CommandContext } from "../chain/command-options.js";
import { runCommand } from "../chain/run-command.js";
import { formatToken } from "../chain/spend.js";
import { KeyOptionsShape, optionalWalletFor, walletFor } from "../chain/wallet-options.js";
import { modelPaymentTokens, pendingRevenueOf, withdrawModelRevenue } from "../model/model-revenue.js";
import { PaymentTokenSchema, paymentToken } from "./model-register.js";

/** Whose key `--as` picks: a model's provider (TRIBUTARY_PROVIDER_KEY) or a job's researcher. */
const RevenueRoleSchema = z.enum(["provider", "researcher"]).default("provider");

const base = { ...ChainOptionsShape, ...KeyOptionsShape, as: RevenueRoleSchema };
const RevenueOptionsSchema = z.strictObject({
  ...base,
  address: AddressSchema.optional(),
  token: PaymentTokenSchema.optional(),
});
const WithdrawOptionsSchema = z.strictObject({ ...base, token: PaymentTokenSchema.default("TRIB") });

/**
 * `tributary model revenue [--address ADDR] [--token TRIB|ADDR] [--as provider|researcher]`: the licence revenue
 * ModelRegistry credited to an account and not yet withdrawn, in TRIB and every registered model's payment token (or
 * in `--token` only). The account is `--address`, else the key's (`--as`'s role, default provider).
 */
export function runModelRevenue(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(RevenueOptionsSchema, raw, "model revenue options");
    const account = options.address ?? (await optionalWalletFor(options.as, options, out))?.address.toLowerCase();
    if (account === undefined) {
      const env = options.as === "provider" ? "TRIBUTARY_PROVIDER_KEY" : "TRIBUTARY_RESEARCHER_KEY";
      throw new TributaryError("INVALID_INPUT", `give --address ADDR, or --keystore FILE or ${env}`);
    }
    await withChain(options, context, async (chain) => {
      const models = await chain.contract("ModelRegistry");
      const trib = (await chain.address("TributaryToken")).toLowerCase();
      const tokens =
        options.token === undefined
          ? await modelPaymentTokens(models, chain.provider, trib)
          : [await paymentToken(chain, options.token)];
      const revenue = await pendingRevenueOf(models, account, tokens);
      out.say(`licence revenue credited to ${account} on ModelRegistry ${await models.getAddress()}, not withdrawn:`);
      out.table([
        ["token", "pending", "address"],
        ...revenue.map(({ token, pending }) => [token.symbol, formatToken(pending, token), token.address]),
      ]);
      const flag = (address: string) => (address.toLowerCase() === trib ? "" : ` --token ${address}`);
      out.done(
        { action: "model revenue", chainId: chain.chainId, account, revenue },
        revenue
          .filter(({ pending }) => pending > 0n)
          .map(
            ({ token }) => `withdraw the ${token.symbol} with: tributary model withdraw-revenue${flag(token.address)}`,
          ),
      );
    });
  });
}

/**
 * `tributary model withdraw-revenue [--token TRIB|ADDR] [--as provider|researcher]`: the key's credited licence
 * revenue in one token (default the deployment's TRIB), sent to it by ModelRegistry. Exit 1 when nothing is credited.
 */
export function runWithdrawRevenue(raw: Record<string, unknown>, context: CommandContext): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(WithdrawOptionsSchema, raw, "model withdraw-revenue options");
    const wallet = await walletFor(options.as, options, out);
    await withChain(options, context, async (chain) => {
      const token = await paymentToken(chain, options.token);
      const signer = wallet.connect(chain.provider);
      const withdrawal = await withdrawModelRevenue(out, {
        account: signer,
        models: await chain.contract("ModelRegistry", wallet),
        token,
      });
      const balance = await connectTributaryToken(token.address, chain.provider).balanceOf(signer.address);
      out.done(
        {
          action: "model withdraw-revenue",
          chainId: chain.chainId,
          ...withdrawal,
          balance,
          transactions: [withdrawal.transaction],
        },
        [
          `withdrew ${formatToken(withdrawal.amount, token)} (${withdrawal.amount} base units) of licence revenue to ${withdrawal.account}, which now holds ${formatToken(balance, token)}`,
        ],
      );
    });
  });
}
