import { type Address, SeededRandom } from "@tributary/protocol";

/**
 * The communication graph of a SecAgg+ round (Bell et al. 2020): each trainer's neighbours, with whom it shares
 * its secrets and exchanges pairwise masks. A Harary graph H(k, n): the participants are placed on a ring in an
 * order shuffled by the public `seed` (so the coordinator does not choose who neighbours whom), and each is joined
 * to the k/2 nearest on either side. With n ≤ k + 1 it is the complete graph of Bonawitz et al. (2017).
 */
export class CommunicationGraph {
  /** Neighbours of each participant, sorted. */
  private readonly adjacency = new Map<Address, readonly Address[]>();
  /** Each participant's Shamir x-coordinate: 1 + its index in the participants as given. */
  private readonly xs = new Map<Address, number>();
  readonly degree: number;

  constructor(participants: readonly Address[], neighbours: number, seed: string) {
    const n = participants.length;
    if (new Set(participants).size !== n) throw new RangeError("participants must be distinct");
    if (!(Number.isInteger(neighbours) && neighbours >= 2 && neighbours % 2 === 0)) {
      throw new RangeError(`neighbours must be an even integer ≥ 2, got ${neighbours}`);
    }
    participants.forEach((participant, index) => {
      this.xs.set(participant, index + 1);
    });
    this.degree = Math.min(neighbours, n - 1);
    const ring = [...participants];
    const random = new SeededRandom(`secagg-graph:${seed}`);
    for (let i = ring.length - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      [ring[i], ring[j]] = [ring[j] as Address, ring[i] as Address];
    }
    ring.forEach((participant, position) => {
      const set = new Set<Address>();
      if (n <= neighbours + 1) {
        for (const other of participants) if (other !== participant) set.add(other);
      } else {
        for (let offset = 1; offset <= neighbours / 2; offset++) {
          set.add(ring[(position + offset) % n] as Address);
          set.add(ring[(position - offset + n) % n] as Address);
        }
      }
      this.adjacency.set(participant, [...set].sort());
    });
  }

  /** The participant's neighbours, sorted; throws for a stranger. */
  neighboursOf(participant: Address): readonly Address[] {
    const found = this.adjacency.get(participant);
    if (found === undefined) throw new RangeError(`${participant} is not a participant of this round`);
    return found;
  }

  areNeighbours(a: Address, b: Address): boolean {
    return this.adjacency.get(a)?.includes(b) ?? false;
  }

  isParticipant(participant: Address): boolean {
    return this.adjacency.has(participant);
  }

  /** The x-coordinate at which `participant` holds its neighbours' shares. */
  shareX(participant: Address): number {
    const x = this.xs.get(participant);
    if (x === undefined) throw new RangeError(`${participant} is not a participant of this round`);
    return x;
  }
}
