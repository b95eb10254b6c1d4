import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/** SHA-256 of bytes, 64 lowercase hex digits (no 0x). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** SHA-256 of a file's bytes, 64 lowercase hex digits. */
export async function fileSha256(file: string): Promise<string> {
  return sha256Hex(await readFile(file));
}
