export {
  type CoordinatorConfig,
  type CoordinatorConfigInput,
  configFromDeployment,
  configFromEnv,
  configInputFromEnv,
  resolveConfig,
} from "./config/coordinator-config.js";
export { type Coordinator, type CreateCoordinatorOptions, createCoordinator } from "./create-coordinator.js";
