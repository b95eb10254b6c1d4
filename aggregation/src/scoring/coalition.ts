/**
 * A set of update indices in [0, n) as a bitset, with a compact string key for memoisation (two UTF-16 code
 * units per 32 members, so keys stay short for large rounds).
 */
export class Coalition {
  readonly #words: Uint32Array;
  readonly n: number;
  #size = 0;

  constructor(n: number) {
    this.n = n;
    this.#words = new Uint32Array(Math.max(1, Math.ceil(n / 32)));
  }

  /** A coalition of every index in [0, n). */
  static all(n: number): Coalition {
    const coalition = new Coalition(n);
    for (let i = 0; i < n; i++) coalition.add(i);
    return coalition;
  }

  get size(): number {
    return this.#size;
  }

  has(index: number): boolean {
    return ((this.#words[index >>> 5] as number) & (1 << (index & 31))) !== 0;
  }

  add(index: number): void {
    if (this.has(index)) return;
    this.#words[index >>> 5] = ((this.#words[index >>> 5] as number) | (1 << (index & 31))) >>> 0;
    this.#size++;
  }

  delete(index: number): void {
    if (!this.has(index)) return;
    this.#words[index >>> 5] = ((this.#words[index >>> 5] as number) & ~(1 << (index & 31))) >>> 0;
    this.#size--;
  }

  clear(): void {
    this.#words.fill(0);
    this.#size = 0;
  }

  /** A string that identifies this set among sets of the same `n`. */
  key(): string {
    let key = "";
    for (const word of this.#words) key += String.fromCharCode(word & 0xffff, word >>> 16);
    return key;
  }

  /** The members, ascending. */
  members(): number[] {
    const members: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.has(i)) members.push(i);
    return members;
  }
}
