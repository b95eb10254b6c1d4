import { type DependencyList, useCallback, useEffect, useState } from "react";

export type AsyncState<T> =
  | { readonly kind: "loading" }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "ready"; readonly value: T };

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Runs `load` when `deps` change (and every `refreshMs` if given), keeping the last value while it reloads so a
 * live view does not flash. `reload` runs it again at once.
 */
export function useAsync<T>(
  load: () => Promise<T>,
  deps: DependencyList,
  refreshMs?: number,
): AsyncState<T> & { reload(): void } {
  const [state, setState] = useState<AsyncState<T>>({ kind: "loading" });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names the dependencies of `load`
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    const once = () =>
      run().then(
        (value) => live && setState({ kind: "ready", value }),
        (error: unknown) => live && setState({ kind: "error", message: errorMessage(error) }),
      );
    void tick;
    void once();
    const timer = refreshMs === undefined ? undefined : setInterval(once, refreshMs);
    return () => {
      live = false;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [run, refreshMs, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}
