import { connectTributaryToken } from "@tributary/contracts/typed";
import { parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { type ContractRunner, formatUnits, parseUnits, type Wallet } from "ethers";
import { z } from "zod";
import type { Output } from "./output.js";
import { RefusedError } from "./run-command.js";
import { type MinedTransaction, sendAndWait } from "./transactions.js";

/** An ERC-20 as a command shows amounts of it. */
export interface TokenInfo {
  readonly address: string;
  readonly symbol: string;
  readonly decimals: number;
}

/** `symbol()` and `decimals()` as a token answers them: parsed, because chain reads are a boundary too. */
const TokenMetadataSchema = z.object({
  symbol: z.string().min(1).max(32),
  decimals: z.coerce.number().int().min(0).max(77),
});

/** Reads the symbol and decimals of the ERC-20 at `address` (any ERC-20 answers like TRIB does). */
export async function tokenInfo(address: string, runner: ContractRunner): Promise<TokenInfo> {
  const token = connectTributaryToken(address, runner);
  const [symbol, decimals] = await Promise.all([token.symbol(), token.decimals()]);
  return { address, ...parseInput(TokenMetadataSchema, { symbol, decimals }, `the token at ${address}`) };
}

/** `12.5 TRIB`: an amount in the token's units, no trailing zeros. */
export function formatToken(amount: bigint, token: TokenInfo): string {
  return `${formatUnits(amount, token.decimals).replace(/\.0$/, "")} ${token.symbol}`;
}

/** A positive amount of tokens as typed by a person, e.g. `100` or `12.5` (converted with the token's decimals). */
export const TokenAmountSchema = z
  .string()
  .regex(/^\d+(\.\d+)?$/, "must be an amount of tokens such as 100 or 12.5")
  .refine((text) => /[1-9]/.test(text), "must be more than zero");

/** `text` (already a `TokenAmountSchema`) in the token's base units; too many decimals is an error naming `flag`. */
export function parseTokenAmount(text: string, token: TokenInfo, flag: string): bigint {
  const [, fraction = ""] = text.split(".");
  if (fraction.length > token.decimals) {
    throw new TributaryError(
      "INVALID_INPUT",
      `${flag} ${text}: ${token.symbol} has ${token.decimals} decimals, so at most ${token.decimals} digits after the point`,
    );
  }
  return parseUnits(text, token.decimals);
}

/** `--no-approve`, as zod shape (commander gives `approve: false`). */
export const SpendOptionsShape = { approve: z.boolean().default(true) };

/** Adds `--no-approve` to a command that spends tokens. */
export function addSpendOption(command: Command): Command {
  return command.option(
    "--no-approve",
    "refuse instead of approving when the allowance is short (default: approve exactly the amount needed)",
  );
}

/** A command's plan to have `spender` pull `amount` of `token` from the signer. */
export interface SpendRequest {
  /** What spends, for messages: `stake deposit`. */
  readonly purpose: string;
  readonly token: TokenInfo;
  /** The owner of the tokens, connected to the chain: it approves when needed. */
  readonly signer: Wallet;
  readonly spender: { readonly name: string; readonly address: string };
  readonly amount: bigint;
  /** False with `--no-approve`: a short allowance is refused instead of approved. */
  readonly approve: boolean;
}

/** What the plan found and did; `approval` when it approved. Amounts in base units. */
export interface SpendReport {
  readonly token: string;
  readonly symbol: string;
  readonly amount: bigint;
  readonly balance: bigint;
  readonly allowance: bigint;
  readonly approval: MinedTransaction | undefined;
}

/**
 * Checks and prepares a spend before the command sends anything: says what will be spent; refuses
 * (`INSUFFICIENT_BALANCE`) when the signer holds less than `amount`, naming what is needed and what is missing; when
 * the allowance is short, approves exactly `amount` (waiting for its receipt), or refuses (`INSUFFICIENT_ALLOWANCE`)
 * with `--no-approve`.
 */
export async function ensureSpend(out: Output, request: SpendRequest): Promise<SpendReport> {
  const { token, signer, spender, amount, purpose } = request;
  const contract = connectTributaryToken(token.address, signer);
  const [balance, allowance] = await Promise.all([
    contract.balanceOf(signer.address),
    contract.allowance(signer.address, spender.address),
  ]);
  const show = (value: bigint) => formatToken(value, token);
  const details = { token: token.address, symbol: token.symbol, needed: amount, spender: spender.address };
  out.say(
    `${purpose} spends ${show(amount)} of ${signer.address} (balance ${show(balance)}), pulled by ${spender.name} ${spender.address}; gas is paid in ether`,
  );
  if (balance < amount) {
    throw new RefusedError(
      "INSUFFICIENT_BALANCE",
      `${purpose} needs ${show(amount)} (${amount} base units) but ${signer.address} holds ${show(balance)}: ${show(amount - balance)} more needed`,
      { ...details, have: balance, missing: amount - balance },
    );
  }
  let approval: MinedTransaction | undefined;
  if (allowance < amount) {
    if (!request.approve) {
      throw new RefusedError(
        "INSUFFICIENT_ALLOWANCE",
        `${purpose} needs ${spender.name} ${spender.address} to be allowed ${show(amount)} of ${signer.address}'s ${token.symbol}, but it is allowed ${show(allowance)} (--no-approve): approve ${show(amount)} or run without --no-approve`,
        { ...details, allowance, missing: amount - allowance },
      );
    }
    out.say(`  ${spender.name} is allowed ${show(allowance)}: approving exactly ${show(amount)} first`);
    approval = await sendAndWait(out, {
      description: `approve ${show(amount)} for ${spender.name}`,
      call: `${token.symbol}.approve`,
      send: () => contract.approve(spender.address, amount),
    });
  }
  return { token: token.address, symbol: token.symbol, amount, balance, allowance, approval };
}
