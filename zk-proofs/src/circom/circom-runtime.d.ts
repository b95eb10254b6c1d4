// circom_runtime 0.1 (which ships no types): the witness calculator builder snarkjs uses, as its source defines it.
declare module "circom_runtime" {
  interface WitnessCalculator {
    /** The whole witness (wire 0 is 1, then the outputs, the public inputs, the rest), as field elements. */
    calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]>;
  }
  export function WitnessCalculatorBuilder(
    wasm: Uint8Array,
    options?: { sanityCheck?: boolean },
  ): Promise<WitnessCalculator>;
}
