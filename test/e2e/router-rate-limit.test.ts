import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ProviderService, RegisteredModel } from "@tributary/inference-provider";
import type { AnnouncementRateLimits, RouterService } from "@tributary/inference-router";
import { type Address, announcementToWire, signAnnouncement } from "@tributary/protocol";
import type { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ProviderWorld,
  registerModel,
  serveOnChain,
  startProviderWorld,
  worldWeights,
} from "../../inference-provider/test-support/provider-world.js";
import { startLocalRouter } from "../../inference-router/test-support/local-router.js";

// The router's rate limit on announcements, over HTTP: two providers, each the listing provider of its own model and
// serving it, announce themselves to routers with small limits.

interface Serving {
  readonly wallet: Wallet;
  readonly model: RegisteredModel;
  readonly service: ProviderService;
}

let world: ProviderWorld;
let stateDir: string;
let a: Serving;
let b: Serving;
const routers: RouterService[] = [];

beforeAll(async () => {
  world = await startProviderWorld();
  stateDir = await mkdtemp(path.join(tmpdir(), "tributary-rate-limit-"));
  const serve = async (wallet: Wallet, model: RegisteredModel, dir: string) => ({
    wallet,
    model,
    service: await serveOnChain(world.chain, world.rpc, wallet, model, path.join(stateDir, dir)),
  });
  a = await serve(world.providerWallet, world.model, "a");
  const other = await world.chain.fundedWallet({ tokens: 10_000n * 10n ** 18n });
  b = await serve(other, await registerModel(world.chain, other, await worldWeights(8), 2_000n), "b");
}, 120_000);

afterAll(async () => {
  for (const router of routers) await router.close();
  await a?.service.close();
  await b?.service.close();
  await world?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

async function router(limits: AnnouncementRateLimits): Promise<RouterService> {
  const started = await startLocalRouter(world.chain, world.rpc, { announcementLimits: limits });
  routers.push(started);
  return started;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly error: { code: string; message: string; details?: Record<string, unknown> } | undefined;
}

/** Posts `serving`'s announcement of its model, signed by `signer` (default: its own key; another key forges it). */
async function announce(to: RouterService, serving: Serving, signer: Wallet = serving.wallet): Promise<Answer> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const signed = await signAnnouncement(
    signer,
    { chainId: BigInt(world.chain.chainId), modelRegistry: world.addresses.modelRegistry as Address },
    {
      modelId: serving.model.modelId,
      provider: serving.wallet.address.toLowerCase() as Address,
      endpoint: serving.service.url,
      pricePerExample: serving.model.pricePerExample,
      issuedAt: now,
      expiresAt: now + 600n,
    },
  );
  return post(to, JSON.stringify(announcementToWire(signed)));
}

async function post(to: RouterService, body: string): Promise<Answer> {
  const response = await fetch(`${to.url}/v1/announcements`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const json = (await response.json()) as { error?: Answer["error"] };
  return { status: response.status, retryAfter: response.headers.get("retry-after"), error: json.error };
}

describe("the announcement rate limit", () => {
  it("refuses a provider's third announcement in the window with 429 and the reason, before its signature is checked; another provider is admitted, whatever is forged in its name", async () => {
    const limited = await router({ perProvider: 2, perIp: 100, windowMs: 60_000 });
    expect((await announce(limited, a)).status).toBe(200);
    expect((await announce(limited, a)).status).toBe(200);
    const third = await announce(limited, a);
    expect(third.status).toBe(429);
    expect(third.error?.code).toBe("ANNOUNCEMENT_RATE_LIMITED");
    const provider = a.wallet.address.toLowerCase();
    expect(third.error?.message).toMatch(
      new RegExp(
        `^too many announcements from provider ${provider}: this router examines at most 2 per 60 s from each provider; retry in \\d+ s$`,
      ),
    );
    expect(third.error?.details).toMatchObject({ by: "provider", source: provider, limit: 2, windowMs: 60_000 });
    const retryAfter = Number(third.retryAfter);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(third.error?.details?.retryAfterS).toBe(retryAfter);
    // A forgery in A's name is refused by the limit too, not by its signature (401): nothing of it was checked.
    expect(await announce(limited, a, b.wallet)).toMatchObject({
      status: 429,
      error: { code: "ANNOUNCEMENT_RATE_LIMITED" },
    });
    // Forgeries in B's name are refused by their signature, and count nothing against B, which is counted on its own.
    for (let n = 0; n < 3; n++) expect((await announce(limited, b, a.wallet)).status).toBe(401);
    expect((await announce(limited, b)).status).toBe(200);
    const metrics = await (await fetch(`${limited.url}/metrics`)).text();
    expect(metrics).toMatch(/^tributary_router_announcements_total\{outcome="ANNOUNCEMENT_RATE_LIMITED"\} 2$/m);
    expect(metrics).toMatch(/^tributary_router_announcements_total\{outcome="admitted"\} 3$/m);
  });

  it("refuses the fourth announcement from one IP in the window, whatever it claims, before reading it", async () => {
    const limited = await router({ perProvider: 100, perIp: 3, windowMs: 60_000 });
    expect((await post(limited, "{")).error?.code).toBe("INVALID_JSON");
    expect((await announce(limited, a, b.wallet)).error?.code).toBe("ANNOUNCEMENT_BAD_SIGNATURE");
    expect((await announce(limited, b)).status).toBe(200);
    for (const refused of [await announce(limited, a), await post(limited, "{")]) {
      expect(refused.status).toBe(429);
      expect(refused.error).toMatchObject({ code: "ANNOUNCEMENT_RATE_LIMITED", details: { by: "ip", limit: 3 } });
      expect(refused.error?.message).toMatch(/^too many announcements from 127\.0\.0\.1: .* at most 3 per 60 s/);
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });

  it("admits the provider again once the window has passed", async () => {
    const limited = await router({ perProvider: 2, perIp: 100, windowMs: 1_000 });
    // Sent together, so all three are counted in one window however long the admissions take (the one over the limit
    // is refused once its signature is counted, before the chain is read).
    const answers = await Promise.all([announce(limited, a), announce(limited, a), announce(limited, a)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429]);
    const refused = answers.find((answer) => answer.status === 429) as Answer;
    expect(refused.error?.details).toMatchObject({ by: "provider", limit: 2, windowMs: 1_000 });
    expect(refused.retryAfter).toBe("1");
    const metrics = await (await fetch(`${limited.url}/metrics`)).text();
    expect(metrics).toMatch(/^tributary_router_announcements_total\{outcome="ANNOUNCEMENT_RATE_LIMITED"\} 1$/m);
    await new Promise((resolve) => setTimeout(resolve, Number(refused.retryAfter) * 1000));
    expect((await announce(limited, a)).status).toBe(200);
  });
});
