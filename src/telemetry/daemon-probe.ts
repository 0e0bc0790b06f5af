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

/** A daemon the probe pings: its configured name and its current client (a reload may replace it). */
export interface ProbedDaemon {
  readonly name: string;
  readonly client: DockerClient;
}

/**
 * "Is each daemon reachable?" for /readyz and `dockstream_daemon_up{daemon}`:
 * one `GET /_ping` per daemon every 5 s (a 2-byte answer the daemon serves
 * without touching containers or storage), at most one round in flight.
 * Independent of the sources, so it also answers while no events source is
 * configured or while the agent still waits for a daemon at start-up. The
 * daemons are read on every round, so a reload is followed.
 */
export class DaemonProbe {
  private readonly daemons: () => Iterable<ProbedDaemon>;
  private readonly metrics: SelfMetrics;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private current = new Map<string, DaemonState>();

  constructor(daemons: () => Iterable<ProbedDaemon>, metrics: SelfMetrics, log: Logger, options: DaemonProbeOptions = {}) {
    this.daemons = daemons;
    this.metrics = metrics;
    this.log = log;
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /** Per daemon name; a daemon not pinged yet is `reachable: null`. */
  get states(): ReadonlyMap<string, DaemonState> {
    const out = new Map<string, DaemonState>();
    for (const { name } of this.daemons()) out.set(name, this.current.get(name) ?? { reachable: null, reason: 'not checked yet' });
    return out;
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

  /** One round now (skipped while one is running); resolves when it finished. */
  check(): Promise<void> {
    this.inFlight ??= this.round().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async round(): Promise<void> {
    const daemons = [...this.daemons()];
    const names = new Set(daemons.map((d) => d.name));
    for (const name of [...this.current.keys()]) {
      if (names.has(name)) continue;
      this.current.delete(name);
      this.metrics.daemonUp.remove({ daemon: name });
    }
    await Promise.all(daemons.map((d) => this.ping(d)));
  }

  private async ping(daemon: ProbedDaemon): Promise<void> {
    try {
      await daemon.client.request('GET', '/_ping', { timeoutMs: this.timeoutMs, signal: AbortSignal.timeout(this.timeoutMs) });
      this.set(daemon.name, { reachable: true, reason: null });
      this.metrics.markSuccess(componentName('docker', daemon.name));
    } catch (err) {
      // /readyz shows the one-line reason; the log gets the error itself.
      this.set(daemon.name, { reachable: false, reason: describeError(err) }, err);
    }
  }

  private set(name: string, next: DaemonState, err?: unknown): void {
    const before = this.current.get(name)?.reachable ?? null;
    if (next.reachable !== before) {
      if (next.reachable) this.log.info({ daemon: name }, 'docker daemon reachable');
      else if (before) this.log.warn({ daemon: name, err }, 'docker daemon unreachable');
    }
    this.current.set(name, next);
    this.metrics.daemonUp.set({ daemon: name }, next.reachable ? 1 : 0);
  }
}
