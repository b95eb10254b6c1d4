import { decodeBase64, encodeBase64, toUtf8Bytes, toUtf8String } from "ethers";
import { z } from "zod";
import { InvalidInputError, parseInput } from "./parse.js";
import { type HandshakeAuth, type HandshakeAuthInput, HandshakeAuthSchema } from "./socket-messages.js";

/**
 * How a trainer signs in when it opens its socket.io connection. The sign-in travels in a header of the HTTP
 * request that opens the connection (engine.io's handshake). The coordinator verifies it there, before it opens a
 * WebSocket or reads any message, so an unauthenticated peer makes it read no more than that request's head, which
 * the coordinator's HTTP server caps (`maxHandshakeBytes`).
 */

/** The header that carries the trainer's `HandshakeAuth`, as base64 JSON (a header cannot carry line breaks). */
export const SIGN_IN_HEADER = "x-tributary-sign-in";

/**
 * The socket.io transports a trainer connects with. The handshake goes over HTTP long-polling, so a refused
 * sign-in's reason reaches the trainer in the body of the 403 answer. A refused WebSocket upgrade shows the client
 * only its status line. The connection then upgrades to a WebSocket.
 */
export const TRAINER_TRANSPORTS: string[] = ["polling", "websocket"];

/** The extra headers of a trainer's socket.io connection that sign it in with `auth` (`trainerHandshakeAuth`). */
export function signInHeaders(auth: HandshakeAuthInput): Record<string, string> {
  return { [SIGN_IN_HEADER]: encodeBase64(toUtf8Bytes(JSON.stringify(auth))) };
}

/** Parses the sign-in header of a handshake request; `InvalidInputError` names what is wrong with it. */
export function parseSignInHeader(value: string | readonly string[] | undefined): HandshakeAuth {
  const path = `handshake.headers.${SIGN_IN_HEADER}`;
  if (typeof value !== "string") {
    throw new InvalidInputError("handshake", [
      { path, message: value === undefined ? "missing: sign in in the handshake" : "must be given once" },
    ]);
  }
  let auth: unknown;
  try {
    auth = JSON.parse(toUtf8String(decodeBase64(value)));
  } catch (error) {
    throw new InvalidInputError("handshake", [
      { path, message: `is not base64 of JSON: ${(error as Error).message.slice(0, 200)}` },
    ]);
  }
  return parseInput(HandshakeAuthSchema, auth, "handshake");
}

/** Why the coordinator refused a handshake: a stable code (`SIGN_IN_REFUSED`, `NOT_DATASET_OWNER`…) and a message. */
export const HandshakeRefusalSchema = z.strictObject({
  code: z.string().min(1).max(64),
  message: z.string().max(4000),
});
export type HandshakeRefusal = z.infer<typeof HandshakeRefusalSchema>;

/** The text the coordinator refuses a handshake with (engine.io's `allowRequest` message). */
export function handshakeRefusalText(refusal: HandshakeRefusal): string {
  return JSON.stringify({ code: refusal.code, message: refusal.message.slice(0, 4000) });
}

/** engine.io's answer to a refused long-polling handshake: HTTP 403 with this body. */
const EngineRefusalSchema = z.looseObject({ code: z.number(), message: z.string() });

/**
 * The coordinator's refusal carried by socket.io-client's `connect_error`, or `undefined` for any other connection
 * error (network, timeout). engine.io answers a refused long-polling handshake with a 403 whose body is
 * `{"code":4,"message":<handshakeRefusalText>}`, and the client's error holds that request as `context`
 * (socket.io-client documents `description` and `context` on low-level connection errors).
 */
export function handshakeRefusalOf(error: unknown): HandshakeRefusal | undefined {
  const text = (error as { context?: { responseText?: unknown } } | undefined)?.context?.responseText;
  if (typeof text !== "string") return undefined;
  try {
    const engine = EngineRefusalSchema.safeParse(JSON.parse(text));
    if (!engine.success) return undefined;
    const refusal = HandshakeRefusalSchema.safeParse(JSON.parse(engine.data.message));
    return refusal.success ? refusal.data : undefined;
  } catch {
    return undefined;
  }
}
