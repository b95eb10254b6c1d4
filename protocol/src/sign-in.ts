import { getAddress } from "ethers";
import { SiweMessage } from "siwe";
import { z } from "zod";
import { TributaryError } from "./errors.js";
import { parseInput } from "./parse.js";

/**
 * Sign-In with Ethereum (EIP-4361) with a Tributary coordinator. The message names the coordinator it is meant for
 * (domain and URI from the coordinator's public origin, the chain id, and, for trainers, the TrainingJobs contract
 * as a resource), so a coordinator that receives a signed message cannot relay it to another one.
 */

/** How long a signed sign-in message stays valid (the coordinator's nonces expire sooner). */
export const SIGN_IN_MESSAGE_TTL_MS = 5 * 60 * 1000;

export interface SignInMessageInput {
  /** The coordinator's public origin, e.g. `http://127.0.0.1:8470` (scheme, host and port). */
  readonly origin: string;
  readonly address: string;
  readonly chainId: number;
  /** The nonce from the coordinator's `GET /auth/nonce`. */
  readonly nonce: string;
  /** The contract the signer's updates are bound to (TrainingJobs, the EIP-712 verifying contract), if any. */
  readonly verifyingContract?: string;
  readonly now?: Date;
}

/** The statement of every Tributary sign-in message. */
export const SIGN_IN_STATEMENT = "Sign in to this Tributary coordinator.";

/** The EIP-4361 text to sign (EIP-191 personal_sign) to sign in with the coordinator at `origin`. */
export function signInMessage(input: SignInMessageInput): string {
  const url = new URL(input.origin);
  const now = input.now ?? new Date();
  return new SiweMessage({
    domain: url.host,
    address: getAddress(input.address),
    statement: SIGN_IN_STATEMENT,
    uri: url.origin,
    version: "1",
    chainId: input.chainId,
    nonce: input.nonce,
    issuedAt: now.toISOString(),
    expirationTime: new Date(now.getTime() + SIGN_IN_MESSAGE_TTL_MS).toISOString(),
    ...(input.verifyingContract === undefined
      ? {}
      : { resources: [`eip155:${input.chainId}:${getAddress(input.verifyingContract)}`] }),
  }).prepareMessage();
}

/** What `POST /auth/siwe` takes. */
export const SignInRequestSchema = z.strictObject({
  message: z.string().min(1).max(4096),
  signature: z.string().max(200),
});
export type SignInRequest = z.infer<typeof SignInRequestSchema>;

/** What `POST /auth/siwe` answers: a bearer token for `Authorization: Bearer <token>`. */
export const SessionSchema = z.strictObject({
  token: z.string().min(1),
  address: z.string(),
  expiresAt: z.string(),
});
export type Session = z.infer<typeof SessionSchema>;

export const NonceResponseSchema = z.strictObject({ nonce: z.string().regex(/^[A-Za-z0-9]{8,64}$/) });

/** The key that signs: an ethers `Wallet` or any signer with an address. */
export interface MessageSigner {
  readonly address: string;
  signMessage(message: string): Promise<string>;
}

export class SignInError extends TributaryError {
  constructor(message: string) {
    super("SIGN_IN_FAILED", message);
  }
}

async function json(response: Response, what: string): Promise<unknown> {
  if (!response.ok) throw new SignInError(`${what} → HTTP ${response.status}: ${await response.text()}`);
  return response.json();
}

/** A fresh single-use nonce from the coordinator at `baseUrl`. */
export async function fetchSignInNonce(baseUrl: string): Promise<string> {
  const body = await json(await fetch(`${baseUrl}/auth/nonce`), "GET /auth/nonce");
  return parseInput(NonceResponseSchema, body, "nonce").nonce;
}

/**
 * Signs in with the coordinator at `baseUrl` (whose origin the message names) on chain `chainId` and returns the
 * session; send `Authorization: Bearer ${session.token}` with each request.
 */
export async function signIn(baseUrl: string, signer: MessageSigner, chainId: number): Promise<Session> {
  const nonce = await fetchSignInNonce(baseUrl);
  const message = signInMessage({ origin: baseUrl, address: signer.address, chainId, nonce });
  const signature = await signer.signMessage(message);
  const response = await fetch(`${baseUrl}/auth/siwe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message, signature }),
  });
  return parseInput(SessionSchema, await json(response, "POST /auth/siwe"), "session");
}

/**
 * The socket.io handshake `auth` of a trainer (`HandshakeAuth`): a fresh nonce from the coordinator at
 * `coordinatorUrl`, and a sign-in message for that URL, `chainId` and `verifyingContract` (TrainingJobs; absent
 * off-chain), all from the trainer's own configuration, never from what the coordinator says.
 */
export async function trainerHandshakeAuth(options: {
  readonly coordinatorUrl: string;
  readonly signer: MessageSigner;
  readonly chainId: number;
  readonly verifyingContract?: string | undefined;
  readonly datasetId: string;
}): Promise<{ message: string; signature: string; datasetId: string }> {
  const nonce = await fetchSignInNonce(options.coordinatorUrl);
  const message = signInMessage({
    origin: options.coordinatorUrl,
    address: options.signer.address,
    chainId: options.chainId,
    nonce,
    ...(options.verifyingContract === undefined ? {} : { verifyingContract: options.verifyingContract }),
  });
  return { message, signature: await options.signer.signMessage(message), datasetId: options.datasetId };
}

/** The chain id a trainer without a chain configured signs in for (the coordinator's default `chainId`). */
export const OFF_CHAIN_CHAIN_ID = 31_337;
