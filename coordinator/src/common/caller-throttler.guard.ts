import { Injectable } from "@nestjs/common";
import { ThrottlerGuard } from "@nestjs/throttler";

/** `@nestjs/throttler` keyed by the signed-in address (set by the access guard), else by the client's IP. */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const caller = request.caller;
    return typeof caller === "string" ? `address:${caller}` : `ip:${String(request.ip)}`;
  }
}
