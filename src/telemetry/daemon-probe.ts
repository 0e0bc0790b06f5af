import type { DockerClient } from '../docker/client.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { componentName } from '../records.js';
import type { SelfMetrics } from './metrics.js';

export interface DaemonProbeOptions {
  /** How often to ping (default 5 s). */
  readonly intervalMs?: number;
  /** Per-ping deadline, connect included (default 2 s). */
  readonly timeoutMs?: number;
}

export interface DaemonState {
  /** null until the first ping finished. */
  readonly reachable: boolean | null;
  readonly reason: string | null;
}

/**
 * "Is the daemon reachable?" for /readyz and `dockstream_daemon_up`: one
 * `GET /_ping` every 5 s (a 2-byte answer the daemon serves without touching
 * containers or storage), at most one in flight. Independent of the sources,
 * so it also answers while no events source is configured or while the agent
 * still waits for the daemon at start-up.
 */
export class DaemonProbe {
  private readonly docker: () => DockerClient;
  private readonly metrics: SelfMetrics;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private current: DaemonState = { reachable: null, reason: 'not checked yet' };

  /** `docker` is read on every ping, so a client replaced by a reload is followed. */
  constructor(docker: () => DockerClient, metrics: SelfMetrics, log: Logger, options: DaemonProbeOptions = {}) {
    this.docker = docker;
    this.metrics = metrics;
    this.log = log;
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  get state(): DaemonState {
    return this.current;
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    // Never keeps the process alive on its own.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** One ping now (skipped while one is running); resolves when it finished. */
  check(): Promise<void> {
    this.inFlight ??= this.ping().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async ping(): Promise<void> {
    try {
      await this.docker().request('GET', '/_ping', { timeoutMs: this.timeoutMs, signal: AbortSignal.timeout(this.timeoutMs) });
      this.set({ reachable: true, reason: null });
      this.metrics.markSuccess(componentName('docker'));
    } catch (err) {
      // /readyz shows the one-line reason; the log gets the error itself.
      this.set({ reachable: false, reason: describeError(err) }, err);
    }
  }

  private set(next: DaemonState, err?: unknown): void {
    if (next.reachable !== this.current.reachable) {
      if (next.reachable) this.log.info('docker daemon reachable');
      else if (this.current.reachable) this.log.warn({ err }, 'docker daemon unreachable');
    }
    this.current = next;
    this.metrics.daemonUp.set(next.reachable ? 1 : 0);
  }
}
