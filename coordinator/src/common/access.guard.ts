import { timingSafeEqual } from "node:crypto";
import { type CanActivate, type ExecutionContext, Inject, Injectable } from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import type { Address } from "@tributary/protocol";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { ACCESS_ROLE, type AccessPolicy, type Role } from "./access.decorator.js";
import { ForbiddenError, UnauthenticatedError } from "./coordinator-errors.js";
import { ACCESS_POLICY, COORDINATOR_CONFIG } from "./tokens.js";

interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  method: string;
  path: string;
  caller?: Address;
}

/**
 * The one access guard (global): reads the route's `@Access(role)`, resolves the bearer token to the caller and
 * asks the `AccessPolicy` whether the caller holds the role. A route without `@Access` is refused, so a new route
 * cannot be forgotten. 401: no or a bad session where one is needed; 403: signed in, wrong role.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ACCESS_POLICY) private readonly policy: AccessPolicy,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== "http") return true;
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const role = this.reflector.getAllAndOverride<Role | undefined>(ACCESS_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (role === undefined) {
      throw new ForbiddenError(`${request.method} ${request.path} has no access rule`);
    }
    const header = request.headers.authorization;
    if (role === "metrics-scraper") return this.#scraper(request, header);
    if (typeof header === "string") {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header);
      if (match === null) throw new UnauthenticatedError("the Authorization header must be `Bearer <token>`");
      request.caller = await this.policy.caller(match[1] as string);
    }
    const caller = request.caller;
    if (role === "anyone") return true;
    if (caller === undefined && role !== "blob-reader") {
      throw new UnauthenticatedError(`${request.method} ${request.path} needs a session: sign in (POST /auth/siwe)`);
    }
    if (role === "signed-in") return true;
    if (await this.policy.allows(role, caller, request.params)) return true;
    if (caller === undefined) {
      throw new UnauthenticatedError(`${request.method} ${request.path} needs a session: sign in (POST /auth/siwe)`);
    }
    throw new ForbiddenError(`${caller} may not ${request.method} ${request.path} (needs the role ${role})`, { role });
  }

  /** `metrics-scraper`: open without `metricsToken`; with it, exactly `Authorization: Bearer <metricsToken>`. */
  #scraper(request: GuardedRequest, header: string | string[] | undefined): boolean {
    const token = this.config.metricsToken;
    if (token === undefined) return true;
    const expected = Buffer.from(`Bearer ${token}`);
    const given = Buffer.from(typeof header === "string" ? header : "");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    throw new UnauthenticatedError(`${request.method} ${request.path} needs \`Authorization: Bearer <metricsToken>\``);
  }
}
