import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { captured, jsonLine, tributary } from "../../test-support/run-tributary.js";
import { addressOf, decryptKeystore } from "../../test-support/web3-keystore.js";
import { runKeyImport } from "./key.js";

const PASSWORD = "correct horse battery staple";

/**
 * Published test vectors of the Web3 Secret Storage definition, as go-ethereum keeps them
 * (accounts/keystore/testdata/v3_test_vector.json). The definition's own PBKDF2 vector: password "testpassword",
 * this private key, whose address is 0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b. (Its scrypt vector has N = 2^18
 * with r = 1, which RFC 7914 and so OpenSSL refuse; go-ethereum's scrypt vector with a 31-byte key stands in.)
 */
const VECTOR_KEY = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const VECTOR_ADDRESS = "0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b";
const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};

const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "e0c41130a323adc1446fc82f724bca2f" },
    ciphertext: "9517cd5bdbe69076f9bf5057248c6c050141e970efa36ce53692d5d59a3984",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 2,
      r: 8,
      p: 1,
      salt: "711f816911c92d649fb4c84b047915679933555030b3552c1212609b38208c63",
    },
    mac: "d5e116151c6aa71470e67a7d42c9620c75c4d23229847dcc127794f0732b0db5",
  },
  id: "fecfc4ce-e956-48fd-953b-30f8b52ed66c",
  version: 3,
};
const SCRYPT_VECTOR_PASSWORD = "foo";
const SCRYPT_VECTOR_PLAINTEXT = "fa7b3db73dc7dfdf8c5fbdb796d741e4488628c41fc4febd9160a866ba0f35";

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tributary-key-"));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", PASSWORD);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** `tributary key import` with `text` on stdin. */
const importFromStdin = (out: string, text: string) =>
  captured(() => runKeyImport({ out, json: true }, { stdin: Readable.from([text]) }));

describe("the test's own keystore reader", () => {
  it("opens the published v3 test vectors to the published plaintexts, and rejects a wrong password by the MAC", () => {
    const pbkdf2 = JSON.stringify(PBKDF2_VECTOR);
    expect(decryptKeystore(pbkdf2, "testpassword").toString("hex")).toBe(VECTOR_KEY);
    expect(() => decryptKeystore(pbkdf2, "wrong")).toThrow("MAC mismatch");
    const scrypt = JSON.stringify(SCRYPT_VECTOR);
    expect(decryptKeystore(scrypt, SCRYPT_VECTOR_PASSWORD).toString("hex")).toBe(SCRYPT_VECTOR_PLAINTEXT);
    expect(() => decryptKeystore(scrypt, "bar")).toThrow("MAC mismatch");
    expect(addressOf(Buffer.from(VECTOR_KEY, "hex"))).toBe(VECTOR_ADDRESS);
  });
});

describe("tributary key new", () => {
  it("writes a v3 keystore (scrypt, aes-128-ctr) that an independent reader opens to the printed address", async () => {
    const out = file("new.json");
    const result = await tributary("key", "new", "--out", out, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { address, keystore } = jsonLine(result.stdout) as { address: string; keystore: string };
    expect(keystore).toBe(out);
    const json = await readFile(out, "utf8");
    expect(JSON.parse(json)).toMatchObject({ version: 3, crypto: { cipher: "aes-128-ctr", kdf: "scrypt" } });
    const key = decryptKeystore(json, PASSWORD);
    expect(addressOf(key)).toBe(address.toLowerCase());
    expect((await stat(out)).mode & 0o777).toBe(0o600);

    const shown = await tributary("key", "address", "--keystore", out);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${address}\n`);
  });

  it("refuses to overwrite an existing file, and to run without a password", async () => {
    const out = file("taken.json");
    await writeFile(out, "precious");
    const refused = await tributary("key", "new", "--out", out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`tributary: --out ${out} already exists: not overwriting a keystore\n`);
    expect(await readFile(out, "utf8")).toBe("precious");

    vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", "");
    const fresh = file("no-password.json");
    const noPassword = await tributary("key", "new", "--out", fresh);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/^tributary: set TRIBUTARY_KEYSTORE_PASSWORD to the password[^\n]*\n$/);
    await expect(stat(fresh)).rejects.toThrow(/ENOENT/);
  });
});

describe("tributary key import", () => {
  it("encrypts a private key read from stdin; the independent reader gets the same key back", async () => {
    const out = file("imported.json");
    const result = await importFromStdin(out, `0x${VECTOR_KEY}\n`);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(jsonLine(result.stdout)).toMatchObject({ ok: true, address: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/) });
    expect((jsonLine(result.stdout).address as string).toLowerCase()).toBe(VECTOR_ADDRESS);
    expect(decryptKeystore(await readFile(out, "utf8"), PASSWORD).toString("hex")).toBe(VECTOR_KEY);
  });

  it("encrypts the key of a TRIBUTARY_*_KEY variable named by --from-env", async () => {
    vi.stubEnv("TRIBUTARY_TRAINER_KEY", `0x${VECTOR_KEY}`);
    const out = file("from-env.json");
    const result = await tributary("key", "import", "--out", out, "--from-env", "TRIBUTARY_TRAINER_KEY", "--json");
    expect(result.code).toBe(0);
    expect((jsonLine(result.stdout).address as string).toLowerCase()).toBe(VECTOR_ADDRESS);
    expect(decryptKeystore(await readFile(out, "utf8"), PASSWORD).toString("hex")).toBe(VECTOR_KEY);

    const unset = await tributary("key", "import", "--out", file("unset.json"), "--from-env", "TRIBUTARY_VOTER_KEY");
    expect(unset.code).toBe(2);
    expect(unset.stderr).toBe("tributary: --from-env TRIBUTARY_VOTER_KEY: the variable is not set\n");
    const other = await tributary("key", "import", "--out", file("other.json"), "--from-env", "HOME");
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("key import options.fromEnv");
  });

  it("refuses a malformed key in one line without echoing it, and writes nothing", async () => {
    const out = file("malformed.json");
    const typo = `0x${VECTOR_KEY.slice(0, 63)}g`;
    const result = await importFromStdin(out, typo);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "tributary: the private key from stdin must be a 32-byte hex private key (64 hex digits, 0x optional)\n",
    );
    expect(result.stderr + result.stdout).not.toContain(VECTOR_KEY.slice(0, 63));
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });
});

describe("tributary key address", () => {
  it("opens a keystore another implementation wrote (the published PBKDF2 vector)", async () => {
    const vector = file("vector.json");
    await writeFile(vector, JSON.stringify(PBKDF2_VECTOR));
    vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", "testpassword");
    const result = await tributary("key", "address", "--keystore", vector, "--json");
    expect(result.code).toBe(0);
    expect((jsonLine(result.stdout).address as string).toLowerCase()).toBe(VECTOR_ADDRESS);
  });

  it("says in one line that a wrong password does not open the keystore", async () => {
    const vector = file("vector-wrong.json");
    await writeFile(vector, JSON.stringify(PBKDF2_VECTOR));
    vi.stubEnv("TRIBUTARY_KEYSTORE_PASSWORD", "not the password");
    const result = await tributary("key", "address", "--keystore", vector, "--json");
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `tributary: --keystore ${vector}: not an encrypted JSON keystore this password opens (incorrect password)\n`,
    );
    expect(jsonLine(result.stdout)).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
  });
});
