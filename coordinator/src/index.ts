export { COORDINATOR_ENV_VARS, configFromEnv, configInputFromEnv } from "./config/config-from-env.js";
export {
  type CoordinatorConfig,
  type CoordinatorConfigInput,
  configFromDeployment,
  resolveConfig,
} from "./config/coordinator-config.js";
export { type Coordinator, type CreateCoordinatorOptions, createCoordinator } from "./create-coordinator.js";
