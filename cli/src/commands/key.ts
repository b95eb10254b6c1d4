import { randomBytes } from "node:crypto";
import { access, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseInput, TributaryError } from "@tributary/protocol";
import type { Command } from "commander";
import { hexlify, Wallet } from "ethers";
import { z } from "zod";
import type { Output } from "../chain/output.js";
import { runCommand } from "../chain/run-command.js";
import { openKeystore } from "../chain/wallet-options.js";
import { cliEnv, KEY_ENV_NAMES } from "../cli-env.js";
import { exitWithUsageCode } from "./exit-codes.js";

/** Where `key import` reads the private key from when no `--from-env` is given (tests pass their own stream). */
export interface KeyContext {
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const json = z.boolean().default(false);
const KeyNewOptionsSchema = z.strictObject({ out: z.string().min(1), json });
const KeyImportOptionsSchema = z.strictObject({
  out: z.string().min(1),
  fromEnv: z.enum(KEY_ENV_NAMES as [string, ...string[]]).optional(),
  json,
});
const KeyAddressOptionsSchema = z.strictObject({ keystore: z.string().min(1), json });

/** A private key as pasted: 64 hex digits, with or without `0x`, surrounding whitespace ignored. */
const PastedKeySchema = z
  .string()
  .transform((text) => text.trim())
  .pipe(z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be a 32-byte hex private key (64 hex digits, 0x optional)"))
  .transform((text) => (text.startsWith("0x") ? text : `0x${text}`));

/** The password the keystore is encrypted with: TRIBUTARY_KEYSTORE_PASSWORD, which must be set and not empty. */
function newKeystorePassword(): string {
  const password = cliEnv().TRIBUTARY_KEYSTORE_PASSWORD;
  if (password === undefined || password === "") {
    throw new TributaryError(
      "INVALID_INPUT",
      "set TRIBUTARY_KEYSTORE_PASSWORD to the password to encrypt the keystore with (it is never read from argv)",
    );
  }
  return password;
}

/** Refuses before the slow key derivation when `file` exists (the write itself refuses too: flag `wx`). */
async function refuseExisting(file: string): Promise<void> {
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) throw new TributaryError("INVALID_INPUT", `--out ${file} already exists: not overwriting a keystore`);
}

/** Encrypts `wallet` as Web3 Secret Storage v3 (scrypt, aes-128-ctr, keccak-256 MAC) into the new file `file`. */
async function writeKeystore(out: Output, wallet: Wallet, file: string, password: string): Promise<void> {
  const progress = out.progress(`encrypting ${file} (scrypt)`);
  let encrypted: string;
  try {
    encrypted = await wallet.encrypt(password, progress.update);
  } finally {
    progress.end();
  }
  // ethers spells the cipher section `Crypto`; the definition (and strict readers such as web3.js) says `crypto`.
  const { Crypto, ...rest } = JSON.parse(encrypted) as { Crypto?: unknown; [key: string]: unknown };
  const standard = JSON.stringify(Crypto === undefined ? rest : { ...rest, crypto: Crypto });
  try {
    await writeFile(file, `${standard}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "EEXIST" ? "already exists" : (error as Error).message;
    throw new TributaryError("INVALID_INPUT", `--out ${file}: ${reason}: not overwriting a keystore`, { cause: error });
  }
  out.done({ address: wallet.address, keystore: file }, [
    `wrote ${file}: the encrypted key of ${wallet.address}`,
    "keep the file and its password: the key cannot be recovered without both",
  ]);
}

/** Reads the private key from stdin: hidden when it is a terminal, else everything until end of input. */
async function readStdin(stdin: NonNullable<KeyContext["stdin"]>): Promise<string> {
  if (stdin.isTTY === true) {
    process.stderr.write("private key (not shown): ");
    const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
    const lines = createInterface({ input: stdin, output: muted, terminal: true });
    try {
      return await new Promise<string>((resolve) => lines.once("line", resolve));
    } finally {
      lines.close();
      process.stderr.write("\n");
    }
  }
  let text = "";
  for await (const chunk of stdin) text += String(chunk);
  return text;
}

/** `tributary key new --out FILE`: a fresh key from the OS CSPRNG, written only as an encrypted keystore. */
export function runKeyNew(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(KeyNewOptionsSchema, raw, "key new options");
    const password = newKeystorePassword();
    await refuseExisting(options.out);
    await writeKeystore(out, new Wallet(hexlify(randomBytes(32))), options.out, password);
  });
}

/** `tributary key import --out FILE [--from-env NAME]`: an existing key from stdin or the environment, encrypted. */
export function runKeyImport(raw: Record<string, unknown>, context: KeyContext = {}): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(KeyImportOptionsSchema, raw, "key import options");
    const password = newKeystorePassword();
    await refuseExisting(options.out);
    const source = options.fromEnv ?? "stdin";
    const text =
      options.fromEnv === undefined
        ? await readStdin(context.stdin ?? process.stdin)
        : cliEnv()[options.fromEnv as (typeof KEY_ENV_NAMES)[number]];
    if (text === undefined) throw new TributaryError("INVALID_INPUT", `--from-env ${source}: the variable is not set`);
    const parsed = PastedKeySchema.safeParse(text);
    if (!parsed.success) {
      // Never echo what was read: it may be a key with a typo.
      throw new TributaryError("INVALID_INPUT", `the private key from ${source} ${parsed.error.issues[0]?.message}`);
    }
    await writeKeystore(out, new Wallet(parsed.data), options.out, password);
  });
}

/** `tributary key address --keystore FILE`: opens the keystore (so the password is checked) and prints its address. */
export function runKeyAddress(raw: Record<string, unknown>): Promise<void> {
  return runCommand(raw, async (out) => {
    const options = parseInput(KeyAddressOptionsSchema, raw, "key address options");
    const wallet = await openKeystore(options.keystore, out);
    out.done({ address: wallet.address, keystore: options.keystore }, [wallet.address]);
  });
}

export function registerKeyCommand(program: Command, context: KeyContext = {}): void {
  const key = program
    .command("key")
    .description("encrypted keystores (Web3 Secret Storage v3, which other Ethereum wallets open) for every role");
  const common = (command: Command) =>
    command.option("--json", "print the result as one JSON line", false).exitOverride(exitWithUsageCode);
  common(
    key
      .command("new")
      .description("create a key and write it encrypted with TRIBUTARY_KEYSTORE_PASSWORD (never overwrites)")
      .requiredOption("--out <file>", "the keystore file to create"),
  ).action((options: Record<string, unknown>) => runKeyNew(options));
  common(
    key
      .command("import")
      .description(
        "encrypt an existing private key, read from stdin (hidden on a terminal) or an environment variable, never argv",
      )
      .requiredOption("--out <file>", "the keystore file to create")
      .option("--from-env <name>", `read the key from this variable: ${KEY_ENV_NAMES.join(", ")}`),
  ).action((options: Record<string, unknown>) => runKeyImport(options, context));
  common(
    key
      .command("address")
      .description("open a keystore with TRIBUTARY_KEYSTORE_PASSWORD and print its address")
      .requiredOption("--keystore <file>", "the keystore file"),
  ).action((options: Record<string, unknown>) => runKeyAddress(options));
}
