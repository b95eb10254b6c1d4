import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { DEPLOYMENTS_DIR, type Deployment, loadDeployment, parseDeployment } from "@tributary/contracts/deployments";
import { TributaryError } from "@tributary/protocol";

/** A deployment the user trusts, and where it was read from (for messages). */
export interface ResolvedDeployment {
  readonly deployment: Deployment;
  /** `--deployment`'s path, or the default file's. */
  readonly from: string;
}

/** Where the default `<chainId>.json` deployment files are read from (tests point it elsewhere). */
export interface DeploymentContext {
  readonly deploymentsDir?: URL | undefined;
}

/** How a user gets a deployment file, appended to every "no deployment" message. */
const HOW_TO_DEPLOY = "deploy one with `tributary deploy --rpc URL`";

/** No `--deployment` was given and there is no deployment file for the RPC's chain. */
export class DeploymentUnknownError extends TributaryError {
  constructor(chainId: bigint, file: string) {
    super(
      "DEPLOYMENT_UNKNOWN",
      `no deployment of Tributary is known for chain ${chainId}: no file ${file}; pass --deployment FILE (or ${HOW_TO_DEPLOY})`,
      { details: { chainId: String(chainId), file } },
    );
  }
}

function unusable(what: string, error: unknown): TributaryError {
  return new TributaryError("INVALID_INPUT", `${what} is unusable: ${(error as Error).message}`, { cause: error });
}

/** `--deployment <file>`: any deployment file, which must describe the RPC's chain. */
async function deploymentFile(file: string, chainId: bigint): Promise<Deployment> {
  let deployment: Deployment;
  try {
    deployment = parseDeployment(JSON.parse(await readFile(file, "utf8")));
  } catch (error) {
    throw unusable(`the deployment file ${file}`, error);
  }
  if (BigInt(deployment.chainId) !== chainId) {
    throw new TributaryError(
      "INVALID_INPUT",
      `the deployment file ${file} describes chain ${deployment.chainId}, but the RPC serves chain ${chainId}`,
      { details: { file, chainId: String(chainId), fileChainId: deployment.chainId } },
    );
  }
  return deployment;
}

function defaultFile(chainId: bigint, context: DeploymentContext): string {
  return fileURLToPath(new URL(`${chainId}.json`, context.deploymentsDir ?? DEPLOYMENTS_DIR));
}

/**
 * The deployment from the user's own files only, never from a coordinator: `file` (`--deployment`) when given,
 * else `contracts/deployments/<chainId>.json`; undefined when that default file does not exist. A file that
 * exists but does not parse, or describes another chain, is an error.
 */
export async function findDeployment(
  file: string | undefined,
  chainId: bigint,
  context: DeploymentContext = {},
): Promise<ResolvedDeployment | undefined> {
  if (file !== undefined) return { deployment: await deploymentFile(file, chainId), from: file };
  try {
    return { deployment: await loadDeployment(chainId, context.deploymentsDir), from: defaultFile(chainId, context) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw unusable(`the deployment file for chain ${chainId}`, error);
  }
}

/** As `findDeployment`, but a missing default file is a `DeploymentUnknownError` that says how to get one. */
export async function resolveDeployment(
  file: string | undefined,
  chainId: bigint,
  context: DeploymentContext = {},
): Promise<ResolvedDeployment> {
  const found = await findDeployment(file, chainId, context);
  if (found === undefined) throw new DeploymentUnknownError(chainId, defaultFile(chainId, context));
  return found;
}
