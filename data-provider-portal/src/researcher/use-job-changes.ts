import { JobChangeSchema, WATCH_EVENTS, WATCH_PATH } from "@tributary/protocol";
import { useEffect, useRef, useState } from "react";

/** The watch channel's state as the page shows it. */
export type WatchState =
  | { readonly kind: "off"; readonly reason: string }
  | { readonly kind: "connecting" }
  | { readonly kind: "live" }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * Subscribes to job `jobId`'s changes on the coordinator's watch channel (`WATCH_PATH`, signed in with the session's
 * token) and calls `onChange` on each `job:changed`, and once connected (so nothing that moved meanwhile is missed).
 * socket.io-client loads with the researcher's page only.
 */
export function useJobChanges(
  coordinatorUrl: string,
  token: string | undefined,
  jobId: string,
  onChange: () => void,
): WatchState {
  const [state, setState] = useState<WatchState>({ kind: "connecting" });
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    if (token === undefined) {
      setState({ kind: "off", reason: "sign in to follow the job live" });
      return;
    }
    let closed = false;
    let disconnect = () => {};
    setState({ kind: "connecting" });
    void import("socket.io-client").then(({ io }) => {
      if (closed) return;
      const socket = io(coordinatorUrl, { path: WATCH_PATH, auth: { token }, transports: ["websocket"] });
      disconnect = () => socket.disconnect();
      socket.on("connect", () => {
        socket.emit(WATCH_EVENTS.watch, { jobId }, (ack: { ok: boolean; message?: string }) => {
          if (closed) return;
          if (ack.ok) {
            setState({ kind: "live" });
            latest.current();
          } else setState({ kind: "refused", reason: ack.message ?? "refused" });
        });
      });
      socket.on(WATCH_EVENTS.changed, (payload: unknown) => {
        const change = JobChangeSchema.safeParse(payload);
        if (change.success && change.data.jobId === jobId) latest.current();
      });
      socket.on("connect_error", (error: Error) => {
        if (!closed) setState({ kind: "refused", reason: error.message });
      });
      socket.on("disconnect", () => {
        if (!closed) setState({ kind: "connecting" });
      });
    });
    return () => {
      closed = true;
      disconnect();
    };
  }, [coordinatorUrl, token, jobId]);
  return state;
}
