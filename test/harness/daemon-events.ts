import { request } from 'node:http';

export interface DaemonEvent {
  readonly type: string;
  readonly action: string;
  readonly id: string;
  /** The digits exactly as the daemon wrote them. */
  readonly timeNano: string;
}

/**
 * What the daemon itself reports for a window: `GET /events?since&until`,
 * read with plain node:http (not the agent's client) from the unix socket.
 */
export function daemonEvents(socketPath: string, sinceSec: number, untilSec: number, filters?: object): Promise<DaemonEvent[]> {
  const q = new URLSearchParams({ since: sinceSec.toFixed(9), until: untilSec.toFixed(9) });
  if (filters) q.set('filters', JSON.stringify(filters));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: `/events?${q.toString()}`, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const out: DaemonEvent[] = [];
        for (const line of body.split('\n')) {
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { Type: string; Action: string; Actor: { ID: string } };
          const digits = /"timeNano":(\d+)\s*}\s*$/.exec(line)?.[1];
          if (!digits) throw new Error(`no timeNano in ${line}`);
          out.push({ type: ev.Type, action: ev.Action, id: ev.Actor.ID, timeNano: digits });
        }
        resolve(out);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
