import { readdir, readFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The auditor is a library a browser runs too: its code (tests aside) may not import Node's built-in modules nor
 * touch Node-only globals, and may import only the packages it declares, with the contracts package limited to its
 * browser-safe entries (the ABIs, the typed contracts and the revert decoder; not `deployments`, which reads files, nor `local-chain`).
 */
const SRC = import.meta.dirname;
const PACKAGE = path.join(SRC, "..", "package.json");
const CONTRACTS_ENTRIES = new Set([
  "@tributary/contracts",
  "@tributary/contracts/typed",
  "@tributary/contracts/revert-decoder",
]);
const NODE_GLOBALS = /\b(?:Buffer|process|__dirname|__filename|require|global)\s*[.(]|\bNodeJS\./;

async function coreFiles(): Promise<string[]> {
  const entries = await readdir(SRC, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Every module specifier of `import … from "x"`, `export … from "x"`, `import("x")` and `import "x"`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)) {
    found.push(match[1] as string);
  }
  return found;
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

describe("the auditor's core", () => {
  it("imports no Node built-in, only its declared dependencies, and uses no Node global", async () => {
    const declared = new Set(
      Object.keys(
        (
          JSON.parse(await readFile(PACKAGE, "utf8")) as {
            dependencies: object;
          }
        ).dependencies,
      ),
    );
    const files = await coreFiles();
    expect(files.map((file) => path.basename(file))).toContain("verify-ledger.ts");
    const offences: string[] = [];
    for (const file of files) {
      const source = await readFile(file, "utf8");
      const name = path.relative(SRC, file);
      for (const specifier of specifiers(source)) {
        if (specifier.startsWith(".")) continue;
        if (specifier.startsWith("node:") || isBuiltin(specifier)) offences.push(`${name} imports ${specifier}`);
        else if (!declared.has(packageOf(specifier))) offences.push(`${name} imports undeclared ${specifier}`);
        else if (packageOf(specifier) === "@tributary/contracts" && !CONTRACTS_ENTRIES.has(specifier)) {
          offences.push(`${name} imports ${specifier}, which is not browser-safe`);
        }
      }
      source.split("\n").forEach((line, index) => {
        const code = line.replace(/\/\/.*$/, "");
        if (NODE_GLOBALS.test(code)) offences.push(`${name}:${index + 1} uses a Node global: ${line.trim()}`);
      });
    }
    expect(offences).toEqual([]);
  });

  it("finds what it forbids", () => {
    // The scan's own reference cases, written out: what it must flag and what it must let through.
    expect(specifiers(`import { readFile } from "node:fs/promises";\nimport "crypto";`)).toEqual([
      "node:fs/promises",
      "crypto",
    ]);
    expect(specifiers(`const m = await import("node:path");`)).toEqual(["node:path"]);
    expect(packageOf("multiformats/bases/base32")).toBe("multiformats");
    expect(packageOf("@tributary/contracts/deployments")).toBe("@tributary/contracts");
    expect(NODE_GLOBALS.test("const b = Buffer.from(bytes);")).toBe(true);
    expect(NODE_GLOBALS.test("process.exitCode = 1;")).toBe(true);
    expect(NODE_GLOBALS.test("(error as NodeJS.ErrnoException).code")).toBe(true);
    expect(NODE_GLOBALS.test("const bytes = new Uint8Array(await response.arrayBuffer());")).toBe(false);
  });
});
