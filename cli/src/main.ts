import { TributaryError } from "@tributary/protocol";
import { buildProgram } from "./program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof TributaryError) {
    process.stderr.write(`tributary: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
