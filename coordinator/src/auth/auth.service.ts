import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Inject, Injectable } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { type Address, AddressSchema, InvalidInputError, recoverMessageSigner } from "@tributary/protocol";
import { getAddress } from "ethers";
import { jwtVerify, SignJWT } from "jose";
import { SiweMessage } from "siwe";
import { UnauthenticatedError } from "../common/coordinator-errors.js";
import { COORDINATOR_CONFIG } from "../common/tokens.js";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { SignInRefusedError } from "./auth-errors.js";
import { NonceStore } from "./nonce-store.js";

/** Clock skew tolerated on a message's issued-at, in milliseconds. */
const SKEW_MS = 60_000;
const ISSUER = "tributary-coordinator";

export interface SignedIn {
  readonly address: Address;
  readonly message: SiweMessage;
}

/**
 * Sign-In with Ethereum (EIP-4361): checks a signed message names this coordinator (domain and URI of its public
 * origin, its chain id), carries a nonce it issued and not yet used, and is current; then issues a session token
 * (an HS256 JWT whose subject is the address) that `Authorization: Bearer` carries.
 */
@Injectable()
export class AuthService {
  readonly #key: Uint8Array;

  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(NonceStore) private readonly nonces: NonceStore,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    this.#key =
      config.sessionSecret === undefined ? randomBytes(32) : Buffer.from(config.sessionSecret.slice(2), "hex");
  }

  /** The origin sign-in messages must name. */
  origin(): string {
    if (this.config.publicOrigin !== undefined) return new URL(this.config.publicOrigin).origin;
    const address = this.adapterHost.httpAdapter.getHttpServer().address() as AddressInfo;
    return `http://${this.config.host}:${address.port}`;
  }

  nonce(): Promise<string> {
    return this.nonces.issue();
  }

  /**
   * Verifies a signed sign-in message; `verifyingContract`, when given, must be among its resources (trainers
   * sign in for the contract their updates are bound to). Throws `InvalidInputError` (malformed) or
   * `SignInRefusedError` (not for this coordinator, stale, replayed, or signed by someone else).
   */
  async verify(text: string, signature: string, verifyingContract?: string): Promise<SignedIn> {
    let message: SiweMessage;
    try {
      message = new SiweMessage(text);
    } catch (error) {
      throw new InvalidInputError("sign-in", [
        { path: "message", message: `is not an EIP-4361 message: ${(error as Error).message ?? String(error)}` },
      ]);
    }
    const origin = new URL(this.origin());
    if (message.domain !== origin.host) {
      throw new SignInRefusedError(`the message is for ${message.domain}, this coordinator is ${origin.host}`);
    }
    if (new URL(message.uri).origin !== origin.origin) {
      throw new SignInRefusedError(`the message's URI ${message.uri} is not this coordinator's ${origin.origin}`);
    }
    if (message.chainId !== this.config.chainId) {
      throw new SignInRefusedError(
        `the message is for chain ${message.chainId}, this coordinator's is ${this.config.chainId}`,
      );
    }
    if (verifyingContract !== undefined) {
      const resource = `eip155:${this.config.chainId}:${getAddress(verifyingContract)}`;
      if (!(message.resources ?? []).includes(resource)) {
        throw new SignInRefusedError(`the message does not name this coordinator's contract ${resource}`);
      }
    }
    const now = Date.now();
    const issuedAt = Date.parse(message.issuedAt ?? "");
    if (!Number.isFinite(issuedAt) || issuedAt > now + SKEW_MS) {
      throw new SignInRefusedError("the message's issued-at is missing or in the future");
    }
    if (message.expirationTime === undefined || Date.parse(message.expirationTime) <= now) {
      throw new SignInRefusedError("the message has no expiration time or has expired");
    }
    if (message.notBefore !== undefined && Date.parse(message.notBefore) > now + SKEW_MS) {
      throw new SignInRefusedError("the message is not valid yet");
    }
    const signer = recoverMessageSigner(text, signature, "signature");
    const address = AddressSchema.parse(message.address.toLowerCase());
    if (signer !== address) throw new SignInRefusedError(`the message is signed by ${signer}, not ${address}`);
    if (!(await this.nonces.consume(message.nonce))) {
      throw new SignInRefusedError("the nonce was not issued by this coordinator, was already used, or expired");
    }
    return { address, message };
  }

  /** A session token for `address`, valid for `sessionTtlS`. */
  async issue(address: Address): Promise<{ token: string; address: Address; expiresAt: string }> {
    const expiresAt = new Date(Date.now() + this.config.sessionTtlS * 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(address)
      .setIssuer(ISSUER)
      .setAudience(this.origin())
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.#key);
    return { token, address, expiresAt: expiresAt.toISOString() };
  }

  /** The address a session token was issued to; `UnauthenticatedError` when it is not a valid current token. */
  async caller(token: string): Promise<Address> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience: this.origin(),
        algorithms: ["HS256"],
      });
      return AddressSchema.parse(payload.sub);
    } catch {
      throw new UnauthenticatedError("the bearer token is invalid or expired: sign in again (POST /auth/siwe)");
    }
  }
}
