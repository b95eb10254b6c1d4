/**
 * A minimal DER reader: just enough to walk Intel's SGX extension of a PCK certificate (nested SEQUENCEs of
 * OBJECT IDENTIFIER + value). Throws `DerError` on anything that is not well-formed definite-length DER.
 */
export class DerError extends RangeError {}

export interface DerNode {
  readonly tag: number;
  /** The value octets (without tag and length). */
  readonly content: Uint8Array;
}

export const DER_INTEGER = 0x02;
export const DER_OCTET_STRING = 0x04;
export const DER_OID = 0x06;
export const DER_ENUMERATED = 0x0a;
export const DER_SEQUENCE = 0x30;

/** Reads consecutive TLVs that must exactly fill `bytes`. */
export function derElements(bytes: Uint8Array): DerNode[] {
  const nodes: DerNode[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tag = bytes[offset] ?? 0;
    if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at offset ${offset}`);
    let length = bytes[offset + 1];
    if (length === undefined) throw new DerError(`truncated length at offset ${offset}`);
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4) throw new DerError(`unsupported length form at offset ${offset}`);
      length = 0;
      for (let index = 0; index < count; index += 1) {
        const octet = bytes[offset + 2 + index];
        if (octet === undefined) throw new DerError(`truncated length at offset ${offset}`);
        length = length * 256 + octet;
      }
      header += count;
    }
    const end = offset + header + length;
    if (end > bytes.length) throw new DerError(`element at offset ${offset} runs past the end`);
    nodes.push({ tag, content: bytes.subarray(offset + header, end) });
    offset = end;
  }
  return nodes;
}

/** The single TLV that `bytes` must consist of. */
export function derElement(bytes: Uint8Array, expectedTag: number): DerNode {
  const nodes = derElements(bytes);
  const [node] = nodes;
  if (nodes.length !== 1 || node === undefined) throw new DerError(`expected one element, found ${nodes.length}`);
  return expect(node, expectedTag);
}

export function expect(node: DerNode | undefined, tag: number): DerNode {
  if (node === undefined) throw new DerError(`missing element with tag 0x${tag.toString(16)}`);
  if (node.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

/** Dotted decimal form of an OBJECT IDENTIFIER's content. */
export function derOid(node: DerNode): string {
  const bytes = expect(node, DER_OID).content;
  const arcs: number[] = [];
  let value = 0;
  for (const octet of bytes) {
    value = value * 128 + (octet & 0x7f);
    if ((octet & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  if (bytes.length === 0 || ((bytes[bytes.length - 1] ?? 0) & 0x80) !== 0) throw new DerError("truncated OID");
  return arcs.join(".");
}

/** A non-negative INTEGER or ENUMERATED that fits a JavaScript number exactly. */
export function derUnsigned(node: DerNode): number {
  if (node.tag !== DER_INTEGER && node.tag !== DER_ENUMERATED) throw new DerError(`tag 0x${node.tag.toString(16)}`);
  const bytes = node.content;
  if (bytes.length === 0 || bytes.length > 6 || ((bytes[0] ?? 0) & 0x80) !== 0) {
    throw new DerError("integer out of range");
  }
  return bytes.reduce((value, octet) => value * 256 + octet, 0);
}
