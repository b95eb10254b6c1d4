/** Nest injection token of the parsed `CoordinatorConfig`. */
export const COORDINATOR_CONFIG = Symbol("COORDINATOR_CONFIG");

/** Nest injection token of the `AccessPolicy` port the access guard asks (bound by the access module). */
export const ACCESS_POLICY = Symbol("ACCESS_POLICY");
