import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources, so tests never run stale `dist/` output.
    conditions: ["@tributary/source"],
  },
  ssr: { resolve: { conditions: ["@tributary/source"] } },
  test: {
    include: ["*/src/**/*.test.ts", "*/src/**/*.test.tsx", "contracts/ts/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "test/contracts/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
