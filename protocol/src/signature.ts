import { type SignatureLike, verifyMessage } from "ethers";
import { z } from "zod";
import type { Address } from "./ids.js";
import { InvalidInputError } from "./parse.js";

/** Order n of the secp256k1 group. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * What is wrong with a 65-byte `r ‖ s ‖ v` signature, or `undefined` when it is well formed: 0 < r < n,
 * 0 < s ≤ n/2 (EIP-2's low s, as OpenZeppelin's `ECDSA.recover` requires) and v ∈ {27, 28}, the form ethers
 * signers produce; a signature therefore has exactly one accepted spelling.
 */
export function signatureProblem(signature: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return "must be a 65-byte hex signature";
  const r = BigInt(signature.slice(0, 66));
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  if (r === 0n || r >= SECP256K1_N) return "r must be in 1 … n − 1 (secp256k1 group order)";
  if (s === 0n || s > SECP256K1_N / 2n) return "s must be in 1 … n/2 (EIP-2 low s)";
  if (v !== 27 && v !== 28) return `v must be 27 or 28, not ${v}`;
  return undefined;
}

/**
 * A signature from which no signer can be recovered (malformed, or a point not on the curve). Its code is
 * `INVALID_INPUT`, so the coordinator answers 400 (or a failed acknowledgement) naming the path.
 */
export class InvalidSignatureError extends InvalidInputError {
  constructor(path: string, problem: string) {
    super(path.split(/[.[]/)[0] ?? path, [{ path, message: `invalid signature: ${problem}` }]);
  }
}

/**
 * Runs `recover` and returns its address in lower case; any failure (a raw error from the curve arithmetic,
 * e.g. "Cannot find square root") becomes an `InvalidSignatureError` at `path`.
 */
export function recoverOrThrow(path: string, signature: string, recover: () => string): Address {
  const problem = signatureProblem(signature);
  if (problem !== undefined) throw new InvalidSignatureError(path, problem);
  try {
    return recover().toLowerCase() as Address;
  } catch (error) {
    throw new InvalidSignatureError(path, (error as Error).message);
  }
}

/**
 * The address that signed `message` with EIP-191 `personal_sign` (e.g. the trainer's `loginMessage`), in lower
 * case. Throws `InvalidSignatureError` at `path` (e.g. `login.signature`) when no signer can be recovered.
 */
export function recoverMessageSigner(message: string, signature: string, path: string): Address {
  return recoverOrThrow(path, signature, () => verifyMessage(message, signature as SignatureLike));
}

/** A 65-byte `r ‖ s ‖ v` secp256k1 signature in hex, well formed as `signatureProblem` defines. */
export const SignatureSchema = z.string().superRefine((value, ctx) => {
  const problem = signatureProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
