import { Inject, Injectable } from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from "@nestjs/throttler";

/** `@nestjs/throttler` keyed by the signed-in address (set by the access guard), else by the client's IP. */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  /**
   * Injected explicitly: inherited parameter types name the `Reflector` of the copy of `@nestjs/core` that
   * `@nestjs/throttler` loads, which is not the application's when the sources run through tsx (the benchmarks), and
   * esbuild emits no decorator metadata of its own.
   */
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    @Inject(Reflector) reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const caller = request.caller;
    return typeof caller === "string" ? `address:${caller}` : `ip:${String(request.ip)}`;
  }
}
