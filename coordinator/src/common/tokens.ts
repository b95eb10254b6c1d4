/** Nest injection token of the parsed `CoordinatorConfig`. */
export const COORDINATOR_CONFIG = Symbol("COORDINATOR_CONFIG");
