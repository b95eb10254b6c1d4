import { createParamDecorator, type ExecutionContext, SetMetadata } from "@nestjs/common";
import type { Address } from "@tributary/protocol";

/**
 * Who may call a route (docs/access-control.md):
 * - `anyone`: no session needed;
 * - `signed-in`: any valid session (`Authorization: Bearer`, from `POST /auth/siwe`);
 * - `job-researcher`: the researcher of job `:id` (its creator on TrainingJobs, or who created it here);
 * - `blob-reader`: whoever may read blob `:cid` (public, or by its kind: see `AccessPolicy.mayRead`);
 * - `model-publisher`: the researcher of job `:id`, or a provider it approved for the job on ModelRegistry;
 * - `licence-holder`: an account holding a licence for model `:id` on ModelRegistry;
 * - `metrics-scraper`: anyone, unless `metricsToken` is configured: then only `Authorization: Bearer <metricsToken>`.
 */
export type Role =
  | "anyone"
  | "signed-in"
  | "job-researcher"
  | "blob-reader"
  | "model-publisher"
  | "licence-holder"
  | "metrics-scraper";

export const ACCESS_ROLE = "tributary:access-role";

/** The role a route needs; a route without it is refused by the access guard. */
export const Access = (role: Role) => SetMetadata(ACCESS_ROLE, role);

/** The signed-in address of the request (undefined on `anyone`/`blob-reader` routes called without a session). */
export const Caller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Address | undefined =>
    (context.switchToHttp().getRequest() as { caller?: Address }).caller,
);

/** The port the access guard asks: who a token is, and whether a caller holds a role on a route's parameters. */
export interface AccessPolicy {
  caller(token: string): Promise<Address>;
  allows(role: Role, caller: Address | undefined, params: Readonly<Record<string, string>>): Promise<boolean>;
}
