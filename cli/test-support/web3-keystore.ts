import { createDecipheriv, createECDH, pbkdf2Sync, scryptSync, timingSafeEqual } from "node:crypto";

/*
 * A second implementation of what a Web3 Secret Storage (v3) reader does, written from the definition with
 * node:crypto and a Keccak-256 of its own (node:crypto has SHA3-256, whose padding differs), so tests check the
 * CLI's keystores without the library that wrote them (ethers).
 */

const MASK = (1n << 64n) - 1n;

const rotl = (lane: bigint, by: number) =>
  by === 0 ? lane : ((lane << BigInt(by)) | (lane >> BigInt(64 - by))) & MASK;

/** The 24 round constants, from the LFSR of FIPS 202 §3.2.5 (x^8 + x^6 + x^5 + x^4 + 1). */
const ROUND_CONSTANTS = (() => {
  const constants: bigint[] = [];
  let lfsr = 1;
  for (let round = 0; round < 24; round++) {
    let constant = 0n;
    for (let j = 0; j < 7; j++) {
      if (lfsr & 1) constant |= 1n << BigInt((1 << j) - 1);
      lfsr = lfsr & 0x80 ? ((lfsr << 1) ^ 0x71) & 0xff : (lfsr << 1) & 0xff;
    }
    constants.push(constant);
  }
  return constants;
})();

/** The ρ offsets by lane x + 5y, from FIPS 202 §3.2.2: (x, y) walks (1, 0) → (y, 2x + 3y). */
const RHO = (() => {
  const offsets = new Array<number>(25).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    offsets[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return offsets;
})();

function keccakF(state: bigint[]): void {
  const lane = (index: number) => state[index] as bigint;
  for (const constant of ROUND_CONSTANTS) {
    const parity = [0, 1, 2, 3, 4].map((x) => lane(x) ^ lane(x + 5) ^ lane(x + 10) ^ lane(x + 15) ^ lane(x + 20));
    for (let x = 0; x < 5; x++) {
      const d = (parity[(x + 4) % 5] as bigint) ^ rotl(parity[(x + 1) % 5] as bigint, 1);
      for (let y = 0; y < 25; y += 5) state[x + y] = lane(x + y) ^ d;
    }
    const moved = new Array<bigint>(25).fill(0n);
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++)
        moved[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(lane(x + 5 * y), RHO[x + 5 * y] as number);
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        const b = (i: number) => moved[y + (i % 5)] as bigint;
        state[x + y] = b(x) ^ (~b(x + 1) & MASK & b(x + 2));
      }
    }
    state[0] = lane(0) ^ constant;
  }
}

/** Keccak-256 (the original padding 0x01, as Ethereum uses it), rate 136 bytes. */
export function keccak256(data: Uint8Array): Buffer {
  const rate = 136;
  const padded = new Uint8Array(Math.ceil((data.length + 1) / rate) * rate);
  padded.set(data);
  padded[data.length] = 0x01;
  padded[padded.length - 1] = (padded[padded.length - 1] as number) | 0x80;
  const state = new Array<bigint>(25).fill(0n);
  const view = new DataView(padded.buffer);
  for (let offset = 0; offset < padded.length; offset += rate) {
    for (let i = 0; i < rate / 8; i++) state[i] = (state[i] as bigint) ^ view.getBigUint64(offset + i * 8, true);
    keccakF(state);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) out.writeBigUInt64LE(state[i] as bigint, i * 8);
  return out;
}

/** The Ethereum address of a secp256k1 private key: the last 20 bytes of keccak256(uncompressed public key). */
export function addressOf(privateKey: Buffer): string {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(privateKey);
  return `0x${keccak256(ecdh.getPublicKey().subarray(1)).subarray(12).toString("hex")}`;
}

interface KeystoreV3 {
  readonly version: number;
  readonly address?: string;
  readonly crypto: {
    readonly cipher: string;
    readonly cipherparams: { readonly iv: string };
    readonly ciphertext: string;
    readonly kdf: string;
    readonly kdfparams: Readonly<Record<string, number | string>>;
    readonly mac: string;
  };
}

/**
 * Decrypts a v3 keystore by the definition: derive the key (scrypt or PBKDF2-HMAC-SHA256), check the MAC
 * keccak256(derived[16..32] ‖ ciphertext), decrypt with AES-128-CTR under derived[0..16]. Throws "MAC mismatch"
 * for a wrong password.
 */
export function decryptKeystore(json: string, password: string): Buffer {
  const keystore = JSON.parse(json) as KeystoreV3;
  const { crypto } = keystore;
  if (keystore.version !== 3 || crypto.cipher !== "aes-128-ctr") throw new Error("not a v3 aes-128-ctr keystore");
  const params = crypto.kdfparams;
  const salt = Buffer.from(String(params.salt), "hex");
  const length = Number(params.dklen);
  const derived =
    crypto.kdf === "scrypt"
      ? scryptSync(password, salt, length, {
          N: Number(params.n),
          r: Number(params.r),
          p: Number(params.p),
          maxmem: 512 * 1024 * 1024,
        })
      : pbkdf2Sync(password, salt, Number(params.c), length, "sha256");
  const ciphertext = Buffer.from(crypto.ciphertext, "hex");
  const mac = keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext]));
  if (!timingSafeEqual(mac, Buffer.from(crypto.mac, "hex"))) throw new Error("MAC mismatch");
  const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), Buffer.from(crypto.cipherparams.iv, "hex"));
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
