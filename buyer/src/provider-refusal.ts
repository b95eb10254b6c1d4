import { ProviderErrorSchema, parseInput, TributaryError } from "@tributary/protocol";

/**
 * A provider or router refused a request: its HTTP status (0 when the client refused before sending), code (e.g.
 * `VOUCHER_UNDERPAID`, `INPUT_SHAPE`, `NO_PROVIDER`) and message.
 */
export class ProviderRefusedError extends TributaryError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { details });
  }
}

/** The refusal an error answer carries (`{error: {code, message, details}}`), or a generic one for any other body. */
export async function refusalOf(response: Response): Promise<ProviderRefusedError> {
  const text = await response.text();
  try {
    const { error } = parseInput(ProviderErrorSchema, JSON.parse(text), "provider error");
    return new ProviderRefusedError(response.status, error.code, error.message, error.details ?? {});
  } catch {
    return new ProviderRefusedError(
      response.status,
      "PROVIDER_ERROR",
      `HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  }
}

/** What the provider says it served on the channel, from a `VOUCHER_UNDERPAID` refusal; undefined otherwise. */
export function owedOf(refusal: ProviderRefusedError): bigint | undefined {
  const owed = refusal.details.owed;
  if (refusal.code !== "VOUCHER_UNDERPAID" || typeof owed !== "string" || !/^[0-9]{1,78}$/.test(owed)) return undefined;
  return BigInt(owed);
}

/** A fresh random request id (32 bytes, hex). */
export function newRequestId(): `0x${string}` {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
