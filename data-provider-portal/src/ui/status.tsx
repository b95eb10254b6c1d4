import type { ReactNode } from "react";
import type { AsyncState } from "./use-async.js";

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ children }: { children: ReactNode }) {
  return (
    <p className="error" role="alert">
      {children}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Loading, an error in words, or the content for the loaded value. */
export function Async<T>({
  state,
  what,
  children,
}: {
  state: AsyncState<T>;
  what: string;
  children: (value: T) => ReactNode;
}) {
  if (state.kind === "loading") return <Loading what={what} />;
  if (state.kind === "error") return <ErrorMessage>{state.message}</ErrorMessage>;
  return <>{children(state.value)}</>;
}
