import { readFile } from "node:fs/promises";
import path from "node:path";
import type { INestApplication } from "@nestjs/common";
import { computeAddress } from "ethers";
import express, { type Request, type Response } from "express";
import type { CoordinatorConfig, PortalConfig } from "../config/coordinator-config.js";

/**
 * Serves the built web portal at `/portal/` (static files; any other path under it answers `index.html`, the
 * single-page app's shell) and its configuration at `/portal/config.json`: the public origin, mode, chain id and
 * contracts, and in development mode only, the demo accounts of the development wallet. Static files are public
 * (access-control.md); everything the portal reads goes through the REST routes and their roles.
 */
export function servePortal(
  app: INestApplication,
  config: CoordinatorConfig,
  portal: PortalConfig,
  origin: () => string,
) {
  const dir = path.resolve(portal.dir);
  const http = app.getHttpAdapter().getInstance() as express.Express;
  http.get("/portal/config.json", (_request: Request, response: Response) => {
    portalConfig(config, portal, origin()).then(
      (body) => response.set("cache-control", "no-store").json(body),
      (error: unknown) => response.status(500).json({ error: { code: "PORTAL_CONFIG", message: String(error) } }),
    );
  });
  http.use("/portal", express.static(dir, { index: "index.html", fallthrough: true, maxAge: "1h" }));
  http.get(/^\/portal(\/.*)?$/, (_request: Request, response: Response) => {
    response.set("cache-control", "no-cache").sendFile(path.join(dir, "index.html"), (error) => {
      if (error !== undefined && !response.headersSent) {
        response
          .status(404)
          .type("text/plain")
          .send(`the portal is not built: run npm run build --workspace data-provider-portal (looked in ${dir})`);
      }
    });
  });
}

async function portalConfig(config: CoordinatorConfig, portal: PortalConfig, origin: string) {
  const chain = config.chain;
  const contracts: Record<string, string> = {
    ...portal.contracts,
    ...(chain === undefined
      ? {}
      : {
          TrainingJobs: chain.trainingJobs,
          DatasetRegistry: chain.datasetRegistry,
          ...(chain.modelRegistry === undefined ? {} : { ModelRegistry: chain.modelRegistry }),
        }),
  };
  const devWallet =
    config.mode === "development" && portal.devWalletFile !== undefined
      ? await readDevWallet(portal.devWalletFile)
      : undefined;
  return {
    coordinatorUrl: origin,
    mode: config.mode,
    chainId: config.chainId,
    contracts,
    ...(chain === undefined
      ? {}
      : { coordinatorAccount: chain.coordinator ?? computeAddress(chain.senderPrivateKey as string) }),
    ...(devWallet === undefined ? {} : { devWallet }),
  };
}

/** The demo accounts file, or none while `tributary up` has not written it yet. */
async function readDevWallet(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
