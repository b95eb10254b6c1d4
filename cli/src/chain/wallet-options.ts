import { readFile } from "node:fs/promises";
import { TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { Wallet } from "ethers";
import { z } from "zod";
import { cliEnv, type KeyEnvName } from "../cli-env.js";
import type { Output } from "./output.js";

/** Who a command acts as, and the environment variable that holds that person's key when no keystore is given. */
export const KEY_ROLES = {
  trainer: { env: "TRIBUTARY_TRAINER_KEY", who: "the trainer's (the dataset owner's)" },
  researcher: { env: "TRIBUTARY_RESEARCHER_KEY", who: "the researcher's" },
  coordinator: { env: "TRIBUTARY_COORDINATOR_KEY", who: "the coordinator's" },
  auditor: { env: "TRIBUTARY_AUDITOR_KEY", who: "the auditor's" },
  provider: { env: "TRIBUTARY_PROVIDER_KEY", who: "the provider's (staker's)" },
  voter: { env: "TRIBUTARY_VOTER_KEY", who: "the token holder's" },
  buyer: { env: "TRIBUTARY_BUYER_KEY", who: "the model buyer's (licences, channels)" },
  challenger: { env: "TRIBUTARY_CHALLENGER_KEY", who: "the challenger's (disputes, bonds)" },
  committee: { env: "TRIBUTARY_COMMITTEE_KEY", who: "the committee member's (votes on disputes)" },
  deployer: { env: "TRIBUTARY_DEPLOYER_KEY", who: "the deployer's" },
} as const satisfies Record<string, { env: KeyEnvName; who: string }>;
export type KeyRole = keyof typeof KEY_ROLES;

/** The `--keystore` flag every command that signs takes (zod shape to spread into the command's options schema). */
export const KeyOptionsShape = { keystore: z.string().min(1).optional() };

/** Adds `--keystore <file>` to `command`, saying which environment variable is the alternative for `role`. */
export function addKeyOption(command: Command, role: KeyRole, purpose = ""): Command {
  return command.option(
    "--keystore <file>",
    `encrypted JSON keystore${purpose} (password in TRIBUTARY_KEYSTORE_PASSWORD); else ${KEY_ROLES[role].env}`,
  );
}

function keystorePassword(file: string): string {
  const password = cliEnv().TRIBUTARY_KEYSTORE_PASSWORD;
  if (password === undefined) {
    throw new TributaryError(
      "INVALID_INPUT",
      `--keystore ${file} needs the TRIBUTARY_KEYSTORE_PASSWORD environment variable`,
    );
  }
  return password;
}

/**
 * Opens the Web3 Secret Storage (v3) keystore `file` with TRIBUTARY_KEYSTORE_PASSWORD. A missing file, a file that
 * is not a keystore and a wrong password are each one-line `INVALID_INPUT` errors naming the file. `out` shows the
 * key derivation (scrypt) as a progress bar on a terminal.
 */
export async function openKeystore(file: string, out?: Output): Promise<Wallet> {
  const password = keystorePassword(file);
  let json: string;
  try {
    json = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new TributaryError("INVALID_INPUT", `--keystore ${file}: ${reason}`, { cause: error });
  }
  const progress = out?.progress(`opening ${file}`);
  try {
    return (await Wallet.fromEncryptedJson(json, password, progress?.update)) as Wallet;
  } catch (error) {
    throw new TributaryError(
      "INVALID_INPUT",
      `--keystore ${file}: not an encrypted JSON keystore this password opens (${(error as Error).message.split(" (")[0]})`,
      { cause: error },
    );
  } finally {
    progress?.end();
  }
}

/** `role`'s key from `--keystore` when given, else from `role`'s environment variable; undefined when neither. */
export async function optionalWalletFor(
  role: KeyRole,
  options: { readonly keystore?: string | undefined },
  out?: Output,
): Promise<Wallet | undefined> {
  if (options.keystore !== undefined) return openKeystore(options.keystore, out);
  const key = cliEnv()[KEY_ROLES[role].env];
  return key === undefined ? undefined : new Wallet(key);
}

/**
 * `role`'s key: the encrypted keystore `--keystore` (password in TRIBUTARY_KEYSTORE_PASSWORD), else the private
 * key in `role`'s environment variable (`TRIBUTARY_<ROLE>_KEY`). Never from argv. Throws, naming both, without.
 */
export async function walletFor(
  role: KeyRole,
  options: { readonly keystore?: string | undefined },
  out?: Output,
): Promise<Wallet> {
  const wallet = await optionalWalletFor(role, options, out);
  if (wallet === undefined) {
    const { env, who } = KEY_ROLES[role];
    throw new TributaryError("INVALID_INPUT", `give --keystore FILE or set ${env} to ${who} private key`);
  }
  return wallet;
}
