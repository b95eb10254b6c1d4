import { mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PrivacyBudgetLedger } from "@tributary/privacy";
import { TributaryError } from "@tributary/protocol";

/** How long a charge waits for another process's charge to the same ledger before it gives up. */
const LOCK_WAIT_MS = 30_000;
const LOCK_POLL_MS = 15;

/** Another process held the ledger's lock for longer than a charge waits. */
export class PrivacyLedgerLockedError extends TributaryError {
  constructor(file: string, holder: string) {
    super(
      "PRIVACY_LEDGER_LOCKED",
      `the privacy ledger ${file} stayed locked by ${holder} for ${LOCK_WAIT_MS / 1000} s; if no such process runs, remove ${file}.lock`,
      { details: { file, holder } },
    );
  }
}

/** Charges in this process, per ledger file, chained one after the other. */
const inProcess = new Map<string, Promise<unknown>>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One dataset's privacy ledger on disk, shared by every process of its owner that spends from it (the trainer
 * agent, the compute-to-data node). A change is read–modify–write under a lock: a lock file `<file>.lock` created
 * exclusively (`wx`) holding the process id, taken from one process at a time (a lock whose process is gone is
 * stale and removed), and within a process a chain per file. The ledger is read again under the lock, so a charge
 * composes with every charge any other process made before it, and written whole (temporary file, then rename)
 * before the lock is released. A change that throws writes nothing.
 */
export class PrivacyLedgerFile {
  readonly file: string;

  constructor(file: string) {
    this.file = path.resolve(file);
  }

  /** The ledger on disk, or `undefined` when there is none; a file that is not a ledger is an error naming it. */
  async read(): Promise<PrivacyBudgetLedger | undefined> {
    const text = await readFile(this.file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    try {
      return PrivacyBudgetLedger.fromJSON(JSON.parse(text));
    } catch (error) {
      throw new TributaryError("INVALID_INPUT", `${this.file} is not a privacy ledger: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Reads the ledger under the lock, lets `change` spend from it (or throw, writing nothing), writes it and
   * returns what `change` returned along with the ledger as written.
   */
  update<T>(change: (stored: PrivacyBudgetLedger | undefined) => { ledger: PrivacyBudgetLedger; result: T }): Promise<{
    ledger: PrivacyBudgetLedger;
    result: T;
  }> {
    const previous = inProcess.get(this.file) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.#locked(change));
    inProcess.set(this.file, next);
    void next
      .finally(() => {
        if (inProcess.get(this.file) === next) inProcess.delete(this.file);
      })
      .catch(() => {});
    return next;
  }

  async #locked<T>(change: (stored: PrivacyBudgetLedger | undefined) => { ledger: PrivacyBudgetLedger; result: T }) {
    await mkdir(path.dirname(this.file), { recursive: true });
    const release = await this.#lock();
    try {
      const outcome = change(await this.read());
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(outcome.ledger.toJSON()));
      await rename(temp, this.file);
      return outcome;
    } finally {
      await release();
    }
  }

  async #lock(): Promise<() => Promise<void>> {
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
        return () => unlink(lock).catch(() => {});
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = (await readFile(lock, "utf8").catch(() => "")).trim();
      const pid = Number(holder);
      // A lock left by a process that is gone (killed mid-charge) is stale; one being written has no pid yet.
      if (holder !== "" && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
        await unlink(lock).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) throw new PrivacyLedgerLockedError(this.file, `process ${holder || "?"}`);
      await sleep(LOCK_POLL_MS);
    }
  }
}
