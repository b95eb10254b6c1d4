import { recoverAddress as ethersRecover, getBytes, hexlify, randomBytes, Signature, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { secp256k1, secp256k1Wasm } from "./secp256k1.js";
import { recoverAddress } from "./static-typed-data.js";

const signer = new Wallet(hexlify(randomBytes(32)));

describe("secp256k1", () => {
  it("runs the native build here (the package ships it prebuilt for linux-x64, darwin-arm64 and win32-x64)", () => {
    expect(secp256k1.name).toBe("native");
    expect(secp256k1Wasm.name).toBe("wasm");
  });

  it("signs as ethers does (RFC 6979, low s) with either build", () => {
    const digest = randomBytes(32);
    const expected = Signature.from(signer.signingKey.sign(digest)).serialized;
    for (const curve of [secp256k1, secp256k1Wasm]) {
      const { signature, recoveryId } = curve.sign(digest, getBytes(signer.privateKey));
      expect(hexlify(signature) + (27 + recoveryId).toString(16)).toBe(expected);
    }
  });

  it("recovers the address ethers recovers, for 200 random keys and digests, with either build", () => {
    for (let i = 0; i < 200; i++) {
      const wallet = new Wallet(hexlify(randomBytes(32)));
      const digest = randomBytes(32);
      const signature = wallet.signingKey.sign(digest).serialized;
      const expected = ethersRecover(digest, signature).toLowerCase();
      expect(recoverAddress(digest, getBytes(signature))).toBe(expected);
      expect(recoverAddress(digest, getBytes(signature), secp256k1Wasm)).toBe(expected);
    }
  });
});
