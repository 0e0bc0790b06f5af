/** How a sink's records are grouped: at most `maxRecords` a batch, waiting at most `lingerMs` for a full one. */
export interface BatchSettings {
  readonly maxRecords: number;
  readonly lingerMs: number;
}

/**
 * When the delivery loop takes its next batch: once a full batch is queued,
 * once the linger time passed since records waited, or when woken (closing,
 * reload).
 */
export class Batcher {
  settings: BatchSettings;
  private readonly queued: () => number;
  private wake: (() => void) | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;

  /** `queued`: how many records wait in the buffer now. */
  constructor(queued: () => number, settings: BatchSettings) {
    this.queued = queued;
    this.settings = settings;
  }

  /** Resolves when a full batch is queued, the linger time passed, or we are closing. */
  async waitForBatch(closing: boolean): Promise<void> {
    if (this.queued() >= this.settings.maxRecords || closing) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (this.queued() > 0) this.armLinger();
    });
    this.wake = null;
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
  }

  /** The buffer changed: a full batch wakes the loop at once, anything less starts the linger time. */
  maybeWake(): void {
    if (!this.wake) return;
    if (this.queued() >= this.settings.maxRecords) this.wake();
    else this.armLinger();
  }

  /** Wakes a waiting loop now (closing, reload, deadline). */
  wakeNow(): void {
    this.wake?.();
  }

  private armLinger(): void {
    if (this.lingerTimer || !this.wake) return;
    const wake = this.wake;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      wake();
    }, this.settings.lingerMs);
  }
}
