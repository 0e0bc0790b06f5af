/** What the pool and streams share on the wire: opening a connection to the daemon, and the request. */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { TCP_KEEPALIVE_DELAY_MS, tlsConnectOptions, type ConnectionSpec } from '../host.js';

/** Opens a connection to the daemon: unix socket, TCP, or TLS over TCP. */
export function socketFactory(spec: ConnectionSpec): { connect: () => Socket; hostHeader: string } {
  if (spec.kind === 'unix') return { connect: () => netConnect({ path: spec.socketPath }), hostHeader: 'localhost' };
  const url = new URL(spec.origin);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (spec.tls ? 2376 : 2375));
  const tls = spec.tls;
  const keepAlive = (s: Socket): Socket => s.setNoDelay(true).setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
  if (!tls) return { connect: () => keepAlive(netConnect({ host, port })), hostHeader: url.host };
  const options = { host, port, ...(isIP(host) ? {} : { servername: host }), ...tlsConnectOptions(tls) };
  return { connect: () => keepAlive(tlsConnect(options)), hostHeader: url.host };
}

/** The whole request: GET and HEAD go without a body. */
export function requestHead(method: 'GET' | 'HEAD', path: string, hostHeader: string, userAgent: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: ${userAgent}\r\n\r\n`;
}
