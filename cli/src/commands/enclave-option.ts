import {
  type Enclave,
  GramineSgxEnclave,
  NitroEnclave,
  SimulatedEnclave,
  TdxEnclave,
} from "@tributary/enclave-compute";
import { z } from "zod";

/** `--tee` and `--nsm-helper`, as zod shape to spread into a command's options schema (refine with `teeNeedsHelper`). */
export const TeeOptionsShape = {
  tee: z.enum(["simulated", "nitro", "sgx", "tdx"]).default("simulated"),
  nsmHelper: z.string().min(1).optional(),
};

/** `--tee nitro` needs `--nsm-helper`: the refinement to put on a schema with `TeeOptionsShape`. */
export const teeNeedsHelper: [
  (options: { tee: string; nsmHelper?: string | undefined }) => boolean,
  { message: string; path: string[] },
] = [
  (options) => options.tee !== "nitro" || options.nsmHelper !== undefined,
  {
    message:
      "--tee nitro needs --nsm-helper PATH (the helper that asks the NSM for documents; see docs/enclave-images.md)",
    path: ["nsmHelper"],
  },
];

/**
 * The TEE this process attests from (`--tee`): the simulator (development only, loudly labelled, its notice to
 * `warn`), or a real enclave, which refuses to start with the reason when this process is not inside one.
 */
export function openEnclave(
  options: { readonly tee: "simulated" | "nitro" | "sgx" | "tdx"; readonly nsmHelper?: string | undefined },
  warn: (line: string) => void,
): Promise<Enclave> {
  switch (options.tee) {
    case "nitro":
      return NitroEnclave.open({ helper: options.nsmHelper as string });
    case "sgx":
      return GramineSgxEnclave.open();
    case "tdx":
      return TdxEnclave.open();
    default:
      return Promise.resolve(new SimulatedEnclave({ warn }));
  }
}
