import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The coordinator serves the build at /portal/ (same origin as its REST API, so sign-in names that origin). */
export default defineConfig({
  base: "/portal/",
  plugins: [react()],
  resolve: {
    // Workspace packages resolve to their TypeScript sources: the portal never bundles a stale dist/.
    conditions: ["@tributary/source", "browser", "module", "import", "default"],
  },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1200 },
});
