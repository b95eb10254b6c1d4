/**
 * Which verifiable requests a buyer turns into OptimisticVerifier tasks: the buyer's choice per request when it
 * makes one, else a sampling rate. The draw comes from the platform's CSPRNG (WebCrypto) and is made after the answer
 * arrived, so a provider cannot tell at answering time which requests will be checked on chain, and one that lies on
 * a fraction f of its verifiable answers is caught with probability 1 − (1 − rate)^(f·n) over n answers.
 */
export class TaskSampler {
  constructor(readonly rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`the task sampling rate ${rate} is not in [0, 1]`);
  }

  /** Whether this request becomes a task: `choice` when the buyer made one, else a draw at `rate`. */
  decide(choice?: boolean): boolean {
    if (choice !== undefined) return choice;
    if (this.rate === 0) return false;
    if (this.rate === 1) return true;
    const [word] = globalThis.crypto.getRandomValues(new Uint32Array(1));
    return (word as number) / 2 ** 32 < this.rate;
  }
}
