/**
 * Object paths pino censors in a log record, at the top and one or two levels down: credentials in request
 * headers, keys, session secrets and tokens, signatures (SIWE sign-ins, vouchers), passwords.
 */
const SECRET_KEYS = [
  "authorization",
  "cookie",
  '"x-tributary-sign-in"',
  '"x-tributary-voucher"',
  '"x-tributary-payment"',
  '"x-tributary-payments"',
  "privateKey",
  "senderPrivateKey",
  "sessionSecret",
  "metricsToken",
  "token",
  "signature",
  "password",
  "secret",
];

const key = (name: string) => (name.startsWith('"') ? `[${name}]` : `.${name}`);

export const REDACTED_PATHS: readonly string[] = SECRET_KEYS.flatMap((name) => [
  name.startsWith('"') ? `[${name}]` : name,
  `*${key(name)}`,
  `*.*${key(name)}`,
  `req.headers${key(name)}`,
]);

export const REDACTED = "[redacted]";

/** Secrets recognisable by their shape wherever they are written, even inside a message. */
const SHAPES: readonly RegExp[] = [
  // A JWT (session tokens): three base64url parts, the first two JSON objects.
  /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+/g,
  // An Ethereum signature: 65 bytes (r, s, v) or 64 (EIP-2098), hex. Hashes and addresses are shorter.
  /0x(?:[0-9a-fA-F]{130}|[0-9a-fA-F]{128})(?![0-9a-fA-F])/g,
  // Whatever follows a bearer scheme.
  /Bearer\s+[A-Za-z0-9._~+/=-]+/g,
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A function that removes secrets from a serialised log line: every value in `secrets` (a hex secret in any case,
 * with or without its 0x), and every JWT, signature and bearer credential by its shape. Values shorter than 8
 * characters are ignored (they would censor ordinary words).
 */
export function secretScrubber(secrets: readonly string[]): (line: string) => string {
  const literals = secrets
    .filter((secret) => secret.length >= 8)
    .map((secret) => (/^(0x)?[0-9a-fA-F]+$/.test(secret) ? secret.replace(/^0x/, "") : secret))
    .map(escapeRegExp);
  const known = literals.length === 0 ? undefined : new RegExp(`(?:0x)?(?:${literals.join("|")})`, "gi");
  return (line) => {
    let out = known === undefined ? line : line.replace(known, REDACTED);
    for (const shape of SHAPES) out = out.replace(shape, REDACTED);
    return out;
  };
}
