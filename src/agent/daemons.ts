import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { LOCAL_DAEMON, type Config } from '../config/schema.js';
import type { DockerClient } from '../docker/client.js';
import type { ConnectionSpec } from '../docker/host.js';
import type { Logger } from '../log.js';
import type { HostInfo } from '../records.js';
import { createDaemonClient, daemonConfig, daemonConnection } from './components.js';
import { waitForDaemon } from './daemon-wait.js';

/** The daemons some source reads, the local one first. */
export function daemonsInUse(config: Config): string[] {
  const names = new Set(Object.values(config.sources).map((s) => s.daemon));
  return [...names].sort((a, b) => (a === LOCAL_DAEMON ? -1 : b === LOCAL_DAEMON ? 1 : a.localeCompare(b)));
}

/** Names of daemons in use both before and after whose settings changed (their sources restart). */
export function changedDaemons(before: Config, after: Config): string[] {
  const now = new Set(daemonsInUse(after));
  return daemonsInUse(before).filter((name) => now.has(name) && !isDeepStrictEqual(daemonConfig(before, name), daemonConfig(after, name)));
}

/**
 * One daemon the agent reads: its client, its identity once it answered, and
 * `ready`, which settles when it first answered (null: the agent stopped
 * first, or a reload let go of that client; rejects on a pinned API version
 * it cannot serve). Each daemon is waited for on its own: one that is down
 * does not hold up the others.
 */
export class DaemonLink {
  readonly name: string;
  client: DockerClient;
  host: HostInfo;
  ready: Promise<HostInfo | null>;
  private readonly log: Logger;
  /** Aborts when the agent stops its sources. */
  private readonly signal: AbortSignal;
  /** Aborts the wait for the current client's daemon once that client is let go of (reconnect, unlink). */
  private waiting = new AbortController();
  /** `-H`: overrides the local daemon's address. */
  private readonly cliHost: string | undefined;

  /** `connection`: the daemon's address when already resolved (main.ts resolves them for the start log). */
  constructor(name: string, config: Config, log: Logger, signal: AbortSignal, cliHost: string | undefined, connection?: ConnectionSpec) {
    this.name = name;
    this.log = log;
    this.signal = signal;
    this.cliHost = cliHost;
    this.client = createDaemonClient(config, name, log, connection ?? daemonConnection(config, name, cliHost));
    // Until the daemon answered, records carry the local host name.
    this.host = { name: hostname(), daemon: name, daemon_id: '', engine: 'docker', version: '', api_version: '' };
    this.ready = this.connect();
  }

  /** Reload: a client for the daemon's changed settings in `config`; the old one is returned for the caller to close. */
  reconnect(config: Config): DockerClient {
    const old = this.unlink();
    this.client = createDaemonClient(config, this.name, this.log, daemonConnection(config, this.name, this.cliHost));
    this.waiting = new AbortController();
    this.ready = this.connect();
    return old;
  }

  /** Reload: no source reads this daemon any more. Stops waiting for it; its client is returned for the caller to close. */
  unlink(): DockerClient {
    this.waiting.abort();
    return this.client;
  }

  /** Waits for the current client's daemon until it answers, the agent stops, or that client is let go of (then null). */
  private async connect(): Promise<HostInfo | null> {
    const client = this.client;
    const host = await waitForDaemon(client, this.log, AbortSignal.any([this.signal, this.waiting.signal]));
    if (host && client === this.client) this.host = host;
    return host;
  }
}
