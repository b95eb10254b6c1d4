/** Resolves on the first SIGINT or SIGTERM: how a long-running command (`provider serve`, `router serve`) stops. */
export function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
