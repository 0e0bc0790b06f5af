// Plain node:http requests to an engine's unix socket (dockerd or `podman
// system service`), independent of the agent's own client: what the engine
// itself says, for tests to compare the agent with. Unlike the agent (GET and
// HEAD only), tests may POST here (e.g. a prune, to read its answer).
import { request } from 'node:http';

export interface EngineAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export function engineRequest(socketPath: string, method: 'GET' | 'POST', path: string, timeoutMs = 60_000): Promise<EngineAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `method path` answered with `status`, its body parsed as JSON; anything else throws with the body. */
export async function engineJson<T>(socketPath: string, method: 'GET' | 'POST', path: string, status = 200): Promise<T> {
  const res = await engineRequest(socketPath, method, path);
  if (res.status !== status) throw new Error(`${method} ${path}: HTTP ${res.status} (want ${status}): ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body) as T;
}

/** The engine's API range as its unversioned `GET /version` states it. */
export async function engineApiRange(socketPath: string): Promise<{ min: string; max: string; version: string }> {
  const v = await engineJson<{ MinAPIVersion?: string; ApiVersion?: string; Version?: string }>(socketPath, 'GET', '/version');
  if (!v.MinAPIVersion || !v.ApiVersion || !v.Version) throw new Error(`/version lacks MinAPIVersion/ApiVersion/Version: ${JSON.stringify(v)}`);
  return { min: v.MinAPIVersion, max: v.ApiVersion, version: v.Version };
}
