import { DsError } from '../errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `telemetry.listen` as host and port: `127.0.0.1:9323`, `[::1]:9323`,
 * `0.0.0.0:9323` (containers), `:9323` (all interfaces). Port 0 picks a free
 * port (tests read the bound one back from the server).
 */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65_535)) {
    throw new DsError('CONFIG_INVALID', `telemetry.listen: expected host:port (e.g. 127.0.0.1:9323), got "${text}"`, {
      details: { listen: text },
    });
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** `host:port` with IPv6 hosts in brackets, for logs and URLs. */
export function formatListen({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
