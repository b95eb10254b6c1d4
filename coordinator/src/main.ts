import { configFromEnv } from "./config/config-from-env.js";
import { createCoordinator } from "./create-coordinator.js";

const coordinator = await createCoordinator(configFromEnv(process.env));
process.stdout.write(
  `coordinator listening on ${coordinator.url} (docs: ${coordinator.url}/docs, database: ${coordinator.database})\n`,
);
const stop = async () => {
  await coordinator.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
