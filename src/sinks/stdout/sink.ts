import type { Writable } from 'node:stream';
import { SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Sink } from '../../pipeline/types.js';
import type { DsRecord } from '../../records.js';
import { formatLines } from './format.js';

export interface StdoutSinkSettings {
  readonly pretty: boolean;
}

/**
 * Writes each batch as one buffer of NDJSON lines to a writable stream
 * (process.stdout in production; tests inject their own stream).
 *
 * A closed reader (EPIPE, e.g. `dockstream once | head`) is permanent: the
 * stream is dead for the rest of the process, so every later batch fails
 * fast with the same clear error instead of crashing or retrying forever.
 */
export class StdoutSink implements Sink {
  readonly type = 'stdout';
  /** First stream error seen (EPIPE, EBADF, ...); the stream is unusable after it. */
  private broken: Error | null = null;
  private closed = false;
  /** Writes whose callback has not fired yet. */
  private pending = 0;
  private readonly onError = (err: Error): void => {
    if (this.broken === null) {
      this.broken = err;
      this.log.error({ sink: this.name, code: (err as NodeJS.ErrnoException).code, err }, 'stdout closed by reader');
    }
  };

  constructor(
    readonly name: string,
    private readonly settings: StdoutSinkSettings,
    private readonly stream: Writable,
    private readonly log: Logger,
  ) {
    // Listen from the start: an unhandled 'error' on stdout would crash the agent.
    stream.on('error', this.onError);
  }

  async start(_signal?: AbortSignal): Promise<void> {
    this.assertUsable();
  }

  async check(_signal?: AbortSignal): Promise<string> {
    this.assertUsable();
    const tty = (this.stream as { isTTY?: boolean }).isTTY === true;
    return `stdout: writable (${tty ? 'terminal' : 'pipe or file'}, ${this.settings.pretty ? 'pretty JSON' : 'NDJSON'})`;
  }

  async send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void> {
    this.assertUsable();
    signal.throwIfAborted();
    if (batch.length === 0) return;
    const bytes = formatLines(batch, this.settings.pretty);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      // The callback fires once this chunk left the stream's buffer: that is
      // both "written" and backpressure (a slow reader delays it).
      this.pending++;
      this.stream.write(bytes, (err) => {
        this.pending--;
        if (this.closed && this.pending === 0) this.detach();
        signal.removeEventListener('abort', onAbort);
        if (err) {
          this.onError(err);
          reject(this.permanentError(err));
        } else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Never end() process.stdout: other writers (once, check) may still use it.
    // The error listener stays until our last write settled: a late EPIPE must not crash the process.
    if (this.pending === 0) this.detach();
  }

  private detach(): void {
    this.stream.off('error', this.onError);
  }

  private assertUsable(): void {
    if (this.closed) throw new SinkError('stdout sink is closed', { retryable: false, details: { sink: this.name } });
    if (this.broken !== null) throw this.permanentError(this.broken);
    if (this.stream.destroyed || !this.stream.writable) {
      throw new SinkError('stdout is not writable', { retryable: false, details: { sink: this.name } });
    }
  }

  private permanentError(cause: Error): SinkError {
    const code = (cause as NodeJS.ErrnoException).code;
    const message = code === 'EPIPE' ? 'stdout was closed by its reader (EPIPE); records for this sink are no longer delivered' : 'stdout write failed';
    return new SinkError(message, { retryable: false, cause, details: { sink: this.name, code } });
  }
}
