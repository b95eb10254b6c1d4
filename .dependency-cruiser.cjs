// The dependency rules of the repository, checked by `npm run lint` (dependency-cruiser). docs/architecture.md
// explains them; a change to a layer here changes the document too.
/** @type {Record<string, string[]>} each workspace and the workspaces it may import (test/ and scripts/ may import any) */
const packages = {
  protocol: [],
  observability: [],
  signatures: [],
  contracts: ["protocol"],
  privacy: ["protocol"],
  aggregation: ["protocol"],
  "secure-aggregation": ["protocol"],
  "model-runtime": ["protocol"],
  "deterministic-inference": ["protocol"],
  "enclave-compute": ["protocol"],
  auditor: ["protocol", "contracts", "aggregation"],
  buyer: ["protocol", "deterministic-inference"],
  "inference-provider": [
    "observability",
    "protocol",
    "signatures",
    "contracts",
    "model-runtime",
    "deterministic-inference",
  ],
  "inference-router": ["observability", "protocol", "contracts"],
  "zk-proofs": ["protocol", "deterministic-inference"],
  // The web portal runs in a browser: only browser-safe packages (lint fails on a Node built-in too); of contracts,
  // only the ABIs and typed bindings (portal-contracts-abi-only).
  "data-provider-portal": ["protocol", "contracts", "auditor", "buyer", "deterministic-inference"],
  "trainer-agent": [
    "observability",
    "protocol",
    "contracts",
    "privacy",
    "model-runtime",
    "enclave-compute",
    "secure-aggregation",
  ],
  "compute-to-data": ["protocol", "privacy", "model-runtime", "enclave-compute", "trainer-agent"],
  coordinator: [
    "observability",
    "protocol",
    "signatures",
    "contracts",
    "aggregation",
    "model-runtime",
    "enclave-compute",
    "secure-aggregation",
  ],
  cli: [
    "observability",
    "protocol",
    "signatures",
    "contracts",
    "privacy",
    "aggregation",
    "secure-aggregation",
    "model-runtime",
    "deterministic-inference",
    "enclave-compute",
    "auditor",
    "buyer",
    "inference-provider",
    "inference-router",
    "trainer-agent",
    "compute-to-data",
    "coordinator",
    "zk-proofs",
    "data-provider-portal",
  ],
};
const names = Object.keys(packages);

/**
 * The coordinator's feature modules, lowest first: a module may import only the modules listed with it (and
 * everything in `common`, `config`, `database`). Kept in step with the comment at the top of app.module.ts. The
 * bottom folders themselves (`common`, `config`, `database`) may import no feature module.
 * @type {Record<string, string[]>}
 */
const coordinatorModules = {
  blobs: [],
  models: ["blobs"],
  validation: ["blobs"],
  chain: ["blobs"],
  attestation: ["chain"],
  datasets: ["chain"],
  auth: [],
  jobs: ["blobs", "chain", "datasets", "models", "validation"],
  rounds: ["blobs", "chain", "jobs", "models"],
  trainers: ["attestation", "auth", "chain", "datasets", "jobs", "rounds"],
  watch: ["auth", "chain", "jobs"],
  ledger: ["blobs", "chain", "jobs", "models", "rounds"],
  registry: ["blobs", "chain", "models"],
  health: [],
  metrics: ["chain", "jobs", "rounds", "trainers"],
  access: ["auth", "blobs", "chain", "datasets", "jobs", "models", "rounds", "validation"],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycle between files, in any package (type-only imports included).",
      from: {},
      to: { circular: true },
    },
    ...names.map((name) => ({
      name: `layer-${name}`,
      severity: "error",
      comment: `${name} may import only ${packages[name].join(", ") || "no other workspace"} (docs/architecture.md).`,
      from: { path: `^${name}/` },
      to: { path: `^(${names.filter((other) => other !== name && !packages[name].includes(other)).join("|")})/` },
    })),
    {
      name: "no-cross-package-reexport",
      severity: "error",
      comment: "A package exports only its own code: no `export … from` another workspace.",
      from: { path: `^(${names.join("|")})/` },
      to: { path: `^(${names.join("|")})/`, pathNot: "^$1/", dependencyTypes: ["export"] },
    },
    {
      name: "no-deep-package-import",
      severity: "error",
      comment:
        "Another workspace is imported through its package entry points, never by a relative path (tests may reach " +
        "another workspace's test-support/).",
      from: { path: "^([^/]+)/" },
      to: {
        path: `^(${names.join("|")})/`,
        pathNot: ["^$1/", "^[^/]+/test-support/"],
        dependencyTypes: ["local"],
        dependencyTypesNot: ["aliased-workspace"],
      },
    },
    {
      name: "protocol-is-browser-safe",
      severity: "error",
      comment:
        "protocol runs in a browser (the portal reads datasets with its readers): no Node built-ins outside its tests.",
      from: { path: "^protocol/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "auditor-core-is-browser-safe",
      severity: "error",
      comment: "The auditor library runs in a browser: no Node built-ins outside its tests and test support.",
      from: { path: "^auditor/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "deterministic-inference-is-browser-safe",
      severity: "error",
      comment: "Deterministic inference runs in a browser too: no Node built-ins outside its tests.",
      from: { path: "^deterministic-inference/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "secure-aggregation-is-browser-safe",
      severity: "error",
      comment: "Secure aggregation runs in a browser trainer too: no Node built-ins outside its tests.",
      from: { path: "^secure-aggregation/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "buyer-is-browser-safe",
      severity: "error",
      comment: "The buyer's library runs in a browser: no Node built-ins outside its tests.",
      from: { path: "^buyer/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "portal-is-browser-safe",
      severity: "error",
      comment: "The web portal runs in a browser: no Node built-ins in its sources (its bench is a Node script).",
      from: { path: "^data-provider-portal/src/", pathNot: "\\.test\\.tsx?$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "portal-contracts-abi-only",
      severity: "error",
      comment: "The web portal takes contracts' ABIs and typed bindings, never its Node deploy and local-chain code.",
      from: { path: "^data-provider-portal/src/" },
      to: { path: "^contracts/(ts|scripts|test)/" },
    },
    {
      name: "coordinator-bottom-layers",
      severity: "error",
      comment: "coordinator/src/common, config and database import no feature module.",
      from: { path: "^coordinator/src/(common|config|database)/" },
      to: { path: "^coordinator/src/([^/]+)/", pathNot: "^coordinator/src/(common|config|database)/" },
    },
    ...Object.entries(coordinatorModules).map(([name, allowed]) => ({
      name: `coordinator-module-${name}`,
      severity: "error",
      comment: `coordinator/src/${name} may import only ${allowed.join(", ") || "no other feature module"} and common, config, database.`,
      from: { path: `^coordinator/src/${name}/` },
      to: {
        path: "^coordinator/src/([^/]+)/",
        pathNot: [`^coordinator/src/(${[name, ...allowed, "common", "config", "database"].join("|")})/`],
      },
    })),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["(^|/)dist/", "^contracts/(artifacts|cache|types)/", "^node_modules/"] },
    // TypeScript 7 has no compiler API for dependency-cruiser to parse with: swc parses the TypeScript sources.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.typecheck.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["@tributary/source", "import", "types", "default"],
      extensions: [".ts", ".js", ".json"],
      mainFields: ["main", "types"],
    },
    reporterOptions: {
      dot: { collapsePattern: `^(${names.join("|")}|test|scripts)/` },
    },
  },
};
