/**
 * One DuckDB instance per database file in this process, shared by every
 * warehouse on it: two instances attaching the same file in one process would
 * not see each other's locks. Opened on the first statement, closed after the
 * last one (plus a short idle grace), so a DuckDB shell or the seeder can use
 * the file between tasks.
 *
 * Closing is exclusive: a statement that arrives while the file is closing
 * waits for the close to end, then opens the file again. The close's
 * CHECKPOINT must never run beside a statement: DuckDB lets commits proceed
 * during a checkpoint, and a transaction committed on another connection of
 * the instance while its closing checkpoint ran was lost, or left the file
 * damaged (test/integration/duckdb-file.test.ts writes that pattern).
 */

/** What the sharing needs from an engine: open, write the WAL into the file, close. */
export interface FileEngine<I> {
  open(): Promise<I>;
  /** Writes the WAL into the file on the engine's threads, so that closeSync has nothing left to write (best effort). */
  checkpoint(instance: I): Promise<void>;
  closeSync(instance: I): void;
}

class SharedFile<I> {
  private instance: Promise<I> | undefined;
  private leases = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set while a close runs; a lease waits for it (FileRegistry.lease). */
  closing: Promise<void> | undefined;

  constructor(
    private readonly engine: FileEngine<I>,
    private readonly idleCloseMs: number,
    private readonly onClosed: () => void,
  ) {}

  /** Synchronous up to the open: FileRegistry.lease checks `closing` and takes the lease in one step. */
  async lease(): Promise<I> {
    this.leases += 1;
    clearTimeout(this.idleTimer);
    this.instance ??= this.engine.open().catch((e: unknown) => {
      this.instance = undefined;
      throw e;
    });
    try {
      return await this.instance;
    } catch (e) {
      this.release();
      throw e;
    }
  }

  release(): void {
    this.leases -= 1;
    if (this.leases > 0) return;
    this.idleTimer = setTimeout(() => void this.close(), this.idleCloseMs);
    this.idleTimer.unref();
  }

  /** Close now if no statement is running (otherwise the last one to finish closes it); concurrent calls share one close. */
  close(): Promise<void> {
    clearTimeout(this.idleTimer);
    if (this.leases > 0) return Promise.resolve();
    this.closing ??= this.closeNow().finally(() => (this.closing = undefined));
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const pending = this.instance;
    this.instance = undefined;
    const instance = await pending?.catch(() => undefined);
    try {
      if (instance !== undefined) await this.engine.checkpoint(instance);
    } finally {
      if (instance !== undefined) this.engine.closeSync(instance);
      this.onClosed();
    }
  }
}

/** The files this process has open (or is closing), by path and mode. */
export class FileRegistry<I> {
  private readonly files = new Map<string, SharedFile<I>>();

  /** A lease on the file's instance (opened if needed, after any close in progress); `release` when the statement is done. */
  async lease(key: string, engine: () => FileEngine<I>, idleCloseMs: number): Promise<{ instance: I; release: () => void }> {
    for (;;) {
      const file = this.fileFor(key, engine, idleCloseMs);
      if (file.closing) {
        await file.closing;
        continue;
      }
      const instance = await file.lease();
      return { instance, release: () => file.release() };
    }
  }

  /** Close the file now if no statement of any warehouse on it is running. */
  async close(key: string): Promise<void> {
    await this.files.get(key)?.close();
  }

  private fileFor(key: string, engine: () => FileEngine<I>, idleCloseMs: number): SharedFile<I> {
    let file = this.files.get(key);
    if (!file) {
      const created = new SharedFile(engine(), idleCloseMs, () => {
        if (this.files.get(key) === created) this.files.delete(key);
      });
      this.files.set(key, created);
      file = created;
    }
    return file;
  }
}
