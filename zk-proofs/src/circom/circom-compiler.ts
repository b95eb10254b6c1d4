import { execFile } from "node:child_process";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify, stripVTControlCharacters } from "node:util";
import { CircomToolError } from "./circom-errors.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The generic templates every inference circuit includes (circuits/fixed-point.circom). */
export const FIXED_POINT_TEMPLATES = path.resolve(import.meta.dirname, "../../circuits/fixed-point.circom");

/** What `compileCircuit` wrote: the constraint system and the witness generator. */
export interface CompiledCircuit {
  readonly r1cs: string;
  readonly wasm: string;
  /** The compiler's own summary (non-linear and linear constraints, wires, …). */
  readonly report: string;
}

/**
 * Compiles a circom 2 main file with the circom2 npm package (circom 2.2 in WebAssembly, offline) into `dir`:
 * `<name>.r1cs` and `<name>_js/<name>.wasm`. The main file and `fixed-point.circom` are written into `dir` first,
 * because the compiler reads includes only below its working directory. Default simplification (--O1).
 */
export async function compileCircuit(dir: string, name: string, source: string): Promise<CompiledCircuit> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${name}.circom`), source);
  await copyFile(FIXED_POINT_TEMPLATES, path.join(dir, "fixed-point.circom"));
  const cli = require.resolve("circom2/cli.js");
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, `${name}.circom`, "--r1cs", "--wasm", "-o", "."], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: "1" },
    });
    return {
      r1cs: path.join(dir, `${name}.r1cs`),
      wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
      report: stripVTControlCharacters(`${stdout}${stderr}`),
    };
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string; message?: string };
    const reason = `${output.stderr ?? ""}${output.stdout ?? ""}`.trim() || String(output.message);
    throw new CircomToolError(`compile ${name}.circom`, reason.slice(0, 4000), error);
  }
}
