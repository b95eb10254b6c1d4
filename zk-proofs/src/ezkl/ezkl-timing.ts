import type { EzklArtifacts } from "./ezkl-artifacts.js";
import { EzklCircuit } from "./ezkl-circuit.js";
import type { EzklInput } from "./ezkl-json-files.js";

/** How long each step of proving and verifying one input took, in milliseconds (wall clock, this thread). */
export interface EzklTimings {
  readonly witnessMs: number;
  readonly keysMs: number;
  readonly proveMs: number;
  readonly verifyMs: number;
  readonly verified: boolean;
}

/**
 * Times witness generation, key derivation, proving and verification of `input` on fresh keys, for a benchmark
 * (`bench:zk`); the proof is checked, so a run that did not verify says so.
 */
export function timeEzklProof(artifacts: EzklArtifacts, input: EzklInput): EzklTimings {
  const circuit = new EzklCircuit(artifacts);
  const time = <T>(step: () => T): [T, number] => {
    const start = performance.now();
    const result = step();
    return [result, performance.now() - start];
  };
  const [{ bytes: witness }, witnessMs] = time(() => circuit.witness(input));
  const [, keysMs] = time(() => circuit.provingKey());
  const [proof, proveMs] = time(() => circuit.proveWitness(witness));
  const [verification, verifyMs] = time(() => circuit.verify(proof));
  return { witnessMs, keysMs, proveMs, verifyMs, verified: verification.verified };
}
