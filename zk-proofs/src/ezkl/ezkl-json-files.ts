import { InvalidInputError, parseInput } from "@tributary/protocol";
import { z } from "zod";

/** A field element as EZKL writes it in JSON: 64 hex digits, the 32 bytes little-endian. */
const FeltSchema = z.string().regex(/^[0-9a-f]{64}$/, "must be a field element: 64 lowercase hex digits");

/** An EZKL `input.json`: the model's inputs inline, one flat array per model input (`output_data` is not read). */
export const EzklInputSchema = z.looseObject({
  input_data: z
    .array(z.array(z.number()).min(1), {
      message: "must be one array of numbers per model input (inputs read from a chain are not supported)",
    })
    .min(1),
});

export type EzklInput = z.output<typeof EzklInputSchema>;

/** An EZKL proof file (`proof.json`): the public values (`instances`) and the proof's bytes. */
export const EzklProofSchema = z.looseObject({
  instances: z.array(z.array(FeltSchema)).min(1),
  proof: z.array(z.int().min(0).max(255)).min(1),
});

export type EzklProof = z.output<typeof EzklProofSchema>;

/** The fields of the witness the engine generates that the adapter compares with the settings and the proof. */
export const EzklWitnessSchema = z.looseObject({
  outputs: z.array(z.array(FeltSchema)),
  pretty_elements: z.looseObject({
    rescaled_inputs: z.array(z.array(z.string())),
    rescaled_outputs: z.array(z.array(z.string())),
  }),
});

export type EzklWitness = z.output<typeof EzklWitnessSchema>;

/** Parses JSON `bytes` from `file` with `schema`; the error names the file and the field. */
export function parseJsonFile<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array | Uint8ClampedArray,
  file: string,
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new InvalidInputError(file, [{ path: file, message: `not JSON (${(error as Error).message})` }]);
  }
  return parseInput(schema, json, file);
}
