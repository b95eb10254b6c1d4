import {
  type HandshakeAuthInput,
  type HandshakeRefusal,
  handshakeRefusalOf,
  SIGN_IN_HEADER,
  signInHeaders,
  TRAINER_TRANSPORTS,
} from "@tributary/protocol";
import { io, type Socket } from "socket.io-client";

/** A trainer's sign-in (`trainerHandshakeAuth`), a forged header value (`raw`), or none at all. */
export type SignInAttempt = HandshakeAuthInput | { readonly raw: string } | undefined;

/**
 * A socket.io connection to the coordinator at `url` opened as a trainer agent opens it: the sign-in in the header
 * of the handshake request, long-polling first (so a refusal's reason arrives), then a WebSocket.
 */
export function trainerSocket(url: string, auth: SignInAttempt): Socket {
  const headers = auth === undefined ? {} : "raw" in auth ? { [SIGN_IN_HEADER]: auth.raw } : signInHeaders(auth);
  return io(url, { transports: TRAINER_TRANSPORTS, reconnection: false, extraHeaders: headers });
}

/** How a connection signed in with `auth` ends: "connected", or the coordinator's refusal. */
export function handshakeResult(url: string, auth: SignInAttempt): Promise<"connected" | HandshakeRefusal> {
  return new Promise((resolve, reject) => {
    const socket = trainerSocket(url, auth);
    socket.once("connect", () => {
      socket.disconnect();
      resolve("connected");
    });
    socket.once("connect_error", (error: Error) => {
      socket.disconnect();
      const refusal = handshakeRefusalOf(error);
      if (refusal === undefined) reject(new Error(`connection failed without a refusal: ${error.message}`));
      else resolve(refusal);
    });
  });
}

/** "connected", or the code of the coordinator's refusal. */
export async function handshakeOutcome(url: string, auth: SignInAttempt): Promise<string> {
  const result = await handshakeResult(url, auth);
  return result === "connected" ? result : result.code;
}
