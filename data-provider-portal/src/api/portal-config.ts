import { z } from "zod";

const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address");

/** A demo account the development wallet may sign with (only ever served by a development coordinator). */
export const DevAccountSchema = z.object({
  label: z.string().min(1),
  role: z.enum(["researcher", "owner", "buyer", "auditor", "coordinator", "other"]),
  privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
});
export type DevAccount = z.infer<typeof DevAccountSchema>;

/**
 * `GET /portal/config.json`: what the coordinator that serves the portal follows. The contract addresses are the
 * deployment the coordinator was given; an auditor may type the TrainingJobs address it trusts instead.
 */
export const PortalConfigSchema = z.object({
  coordinatorUrl: z.string(),
  mode: z.enum(["development", "production"]),
  chainId: z.number().int().positive(),
  contracts: z.record(z.string(), Address),
  /** Development only: the demo accounts and the chain's JSON-RPC endpoint the development wallet sends to. */
  devWallet: z.object({ rpcUrl: z.string(), accounts: z.array(DevAccountSchema) }).optional(),
});
export type PortalConfig = z.infer<typeof PortalConfigSchema>;

/** Reads the portal's configuration from the coordinator that serves it (same origin). */
export async function loadPortalConfig(base = import.meta.env.BASE_URL): Promise<PortalConfig> {
  const response = await fetch(`${base}config.json`, { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`the coordinator did not serve the portal's configuration (HTTP ${response.status})`);
  }
  return PortalConfigSchema.parse(await response.json());
}
