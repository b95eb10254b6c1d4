import { Logger } from "@nestjs/common";
import { configFromEnv } from "./config/config-from-env.js";
import { createCoordinator } from "./create-coordinator.js";

const coordinator = await createCoordinator(configFromEnv(process.env));
const logger = new Logger("main");
logger.log(
  `coordinator listening on ${coordinator.url} (docs: ${coordinator.url}/docs, metrics: ${coordinator.url}/metrics, database: ${coordinator.database})`,
);
// SIGTERM (a supervisor) or SIGINT: requests in progress are answered, socket events being handled finish, the round
// driver and the chain sender stop between steps, trainers are disconnected (they sign in again elsewhere), then the
// database closes. Everything committed is where the next process resumes.
const stop = async (signal: string) => {
  logger.log(`${signal}: stopping`);
  await coordinator.close();
  logger.log("stopped");
  process.exit(0);
};
process.once("SIGINT", () => void stop("SIGINT"));
process.once("SIGTERM", () => void stop("SIGTERM"));
