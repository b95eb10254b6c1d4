import { createServer } from "node:http";
import type { NestApplicationOptions } from "@nestjs/common";
import { ExpressAdapter } from "@nestjs/platform-express";

/**
 * Nest's Express adapter with an HTTP server that caps the head of every request (request line and headers) at
 * `maxHeaderSize` bytes: Node answers a bigger head with 431 and closes the connection. Trainers sign in in the head
 * of the request that opens their socket, so this caps what an unauthenticated peer can make the coordinator read.
 * It builds only the plain HTTP server the coordinator uses; it refuses the HTTPS and shutdown options of Nest's own
 * `initHttpServer` instead of ignoring them.
 */
export class BoundedHeadExpressAdapter extends ExpressAdapter {
  readonly #maxHeaderSize: number;

  constructor(maxHeaderSize: number) {
    super();
    this.#maxHeaderSize = maxHeaderSize;
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions !== undefined || options.forceCloseConnections || options.return503OnClosing) {
      throw new Error("the coordinator's HTTP server supports neither httpsOptions nor the forced-close options");
    }
    this.httpServer = createServer({ maxHeaderSize: this.#maxHeaderSize }, this.getInstance());
  }
}
