/**
 * Canonical JSON for hashing, the subset of RFC 8785 (JCS) our manifests need: object keys sorted by UTF-16 code
 * units, no whitespace, strings and numbers serialised as `JSON.stringify` does (which is what JCS prescribes for
 * them), `undefined` members dropped. Non-finite numbers and other types are refused rather than guessed at.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no encoding for ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON has no encoding for a ${typeof value}`);
}
