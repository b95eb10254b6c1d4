/** Nest injection token of the parsed `CoordinatorConfig`. */
export const COORDINATOR_CONFIG = Symbol("COORDINATOR_CONFIG");

/** Nest injection token of the `AccessPolicy` port the access guard asks (bound by the access module). */
export const ACCESS_POLICY = Symbol("ACCESS_POLICY");

/** Nest injection token of the coordinator's clock for attestation checks (`Clock`; tests inject a fixed time). */
export const CLOCK = Symbol("CLOCK");

/** The current time, in Unix milliseconds. */
export type Clock = () => number;

/**
 * Nest injection token of `AttestationTestRoots`: tests only, set through `createCoordinator`'s options and never
 * from configuration or the environment.
 */
export const ATTESTATION_TEST_ROOTS = Symbol("ATTESTATION_TEST_ROOTS");

/**
 * Roots pinned instead of the vendors' (tests only): a test that needs a Nitro document bound to a key it holds
 * signs one under a root of its own (nobody holds the key of the real AWS document's `public_key`).
 */
export interface AttestationTestRoots {
  /** SHA-256 fingerprint of the Nitro root to pin instead of AWS's. */
  readonly nitroRootFingerprint?: string;
}
