import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from "@nestjs/common";
import { TributaryError } from "@tributary/protocol";
import type { Request, Response } from "express";

const STATUS_BY_CODE: Record<string, number> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  SIGN_IN_REFUSED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  BLOB_NOT_FOUND: 404,
  CONFLICT: 409,
  BLOB_CORRUPTED: 500,
};

/** The one place errors become HTTP responses: `{ error: { code, message, details } }`. */
@Catch()
export class TributaryErrorFilter implements ExceptionFilter {
  readonly #logger = new Logger("http");

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // A request refused before its body was read (401 on an upload, 413): close the connection after answering,
    // rather than leave the unread body in a kept-alive socket.
    if (!host.switchToHttp().getRequest<Request>().complete) response.setHeader("connection", "close");
    if (error instanceof TributaryError) {
      const status = STATUS_BY_CODE[error.code] ?? 422;
      response.status(status).json({ error: { code: error.code, message: error.message, details: error.details } });
      return;
    }
    if (error instanceof HttpException) {
      response.status(error.getStatus()).json({ error: { code: "HTTP", message: error.message } });
      return;
    }
    this.#logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    response.status(500).json({ error: { code: "INTERNAL", message: "internal error" } });
  }
}
