// A peer that accepts TCP connections on 127.0.0.1 and never answers: a hung
// broker, collector or receiver. Sends to it stay in flight until they time
// out or are aborted.
import { createServer, type Socket } from 'node:net';

export interface SilentPeer {
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly sockets: readonly Socket[];
  /** Resolves once a client sent its first bytes (the request is now held). */
  reached(): Promise<void>;
  /** Drops every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startSilentPeer(): Promise<SilentPeer> {
  const sockets: Socket[] = [];
  let onData: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (onData = resolve));
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => onData());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    reached: () => reached,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })),
  };
}
