import { NonceResponseSchema, SessionSchema, signInMessage } from "@tributary/protocol";
import type { Signer } from "ethers";

/**
 * Sign-In with Ethereum with the coordinator that serves the portal, exactly as `coordinator/src/auth` checks it:
 * protocol's EIP-4361 message over a fresh nonce, naming the coordinator's origin and chain id, signed by the
 * wallet (personal_sign). Returns the session's bearer token.
 */
export async function signInWithWallet(coordinatorUrl: string, signer: Signer, chainId: number): Promise<string> {
  const nonceResponse = await fetch(`${coordinatorUrl}/auth/nonce`);
  if (!nonceResponse.ok) throw new Error(`the coordinator gave no sign-in nonce (HTTP ${nonceResponse.status})`);
  const { nonce } = NonceResponseSchema.parse(await nonceResponse.json());
  const address = await signer.getAddress();
  const message = signInMessage({ origin: coordinatorUrl, address, chainId, nonce });
  const signature = await signer.signMessage(message);
  const response = await fetch(`${coordinatorUrl}/auth/siwe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message, signature }),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    throw new Error(`the coordinator refused the sign-in: ${body.error?.message ?? `HTTP ${response.status}`}`);
  }
  return SessionSchema.parse(await response.json()).token;
}
