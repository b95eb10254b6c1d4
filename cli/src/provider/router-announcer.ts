import {
  type Address,
  type AnnouncementAdmitted,
  AnnouncementAdmittedSchema,
  announcementToWire,
  ProviderErrorSchema,
  parseInput,
  type RegistryDeployment,
  signAnnouncement,
} from "@tributary/protocol";
import type { Wallet } from "ethers";
import type { Output } from "../chain/output.js";
import { RefusedError } from "../chain/run-command.js";

/** What a provider announces to a router, and for how long each announcement is valid. */
export interface AnnouncementPlan {
  readonly router: string;
  readonly deployment: RegistryDeployment;
  readonly modelId: bigint;
  readonly endpoint: string;
  readonly pricePerExample: bigint;
  /** Seconds each announcement is valid for; it is renewed after half of that. */
  readonly ttlS: number;
}

/**
 * Announces a provider to a router, signed with the provider's key (EIP-712 under ModelRegistry's domain), and
 * renews the announcement before it expires. The first announcement must be admitted (a refusal stops `serve`
 * with the router's reason); a renewal that fails says so and is tried again at the next renewal.
 */
export class RouterAnnouncer {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(
    private readonly out: Output,
    private readonly wallet: Wallet,
    private readonly plan: AnnouncementPlan,
  ) {}

  static async start(out: Output, wallet: Wallet, plan: AnnouncementPlan): Promise<RouterAnnouncer> {
    const announcer = new RouterAnnouncer(out, wallet, plan);
    const admitted = await announcer.announce();
    out.say(
      `announced to ${plan.router} until ${new Date(Number(admitted.expiresAt) * 1000).toISOString()} (${admitted.healthy ? "ready" : "not ready yet"}); renewed every ${Math.floor(plan.ttlS / 2)} s`,
    );
    announcer.#schedule();
    return announcer;
  }

  /** Signs and sends one announcement; `RefusedError` with the router's code and reason when it is refused. */
  async announce(): Promise<AnnouncementAdmitted> {
    const { plan } = this;
    const issuedAt = BigInt(Math.floor(Date.now() / 1000));
    const signed = await signAnnouncement(this.wallet, plan.deployment, {
      modelId: plan.modelId,
      provider: this.wallet.address.toLowerCase() as Address,
      endpoint: plan.endpoint,
      pricePerExample: plan.pricePerExample,
      issuedAt,
      expiresAt: issuedAt + BigInt(plan.ttlS),
    });
    let response: Response;
    try {
      response = await fetch(`${plan.router.replace(/\/+$/, "")}/v1/announcements`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(announcementToWire(signed)),
      });
    } catch (error) {
      throw new RefusedError(
        "ROUTER_UNREACHABLE",
        `router ${plan.router} cannot be reached: ${(error as Error).message}`,
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const refusal = ProviderErrorSchema.safeParse(body);
      const reason = refusal.success
        ? refusal.data.error
        : { code: "ROUTER_ERROR", message: `HTTP ${response.status}` };
      throw new RefusedError(reason.code, `router ${plan.router} refused the announcement: ${reason.message}`);
    }
    return parseInput(AnnouncementAdmittedSchema, body, `router ${plan.router}'s answer`);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => {
        this.announce()
          .catch((error: unknown) => this.out.say(`renewing the announcement failed: ${(error as Error).message}`))
          .finally(() => this.#schedule());
      },
      Math.max(1, Math.floor(this.plan.ttlS / 2)) * 1000,
    );
    this.#timer.unref();
  }
}
