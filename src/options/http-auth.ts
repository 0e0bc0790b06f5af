import { z } from 'zod';
import { DsError } from '../errors.js';

/** HTTP authentication of a sink (remote write, OTLP): headers, basic auth or a bearer token; values may use ${VAR}. */
export const httpAuthShape = {
  /** Extra HTTP headers (e.g. `X-Scope-OrgID` for Mimir, an API key); every value is redacted from logs. */
  headers: z.record(z.string(), z.string()).optional(),
  basic_auth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
  /** Sent as `Authorization: Bearer <token>`. */
  bearer_token: z.string().min(1).optional(),
};

export interface HttpAuth {
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly basic_auth?: { readonly username: string; readonly password: string } | undefined;
  readonly bearer_token?: string | undefined;
}

/** The headers an auth block sends (`Authorization` from basic_auth or bearer_token, which are exclusive). */
export function httpAuthHeaders(auth: HttpAuth, component: string): Record<string, string> {
  if (auth.basic_auth && auth.bearer_token) throw new DsError('CONFIG_INVALID', `${component}: basic_auth and bearer_token are exclusive`);
  const headers: Record<string, string> = { ...auth.headers };
  if (auth.basic_auth) headers['Authorization'] = `Basic ${Buffer.from(`${auth.basic_auth.username}:${auth.basic_auth.password}`).toString('base64')}`;
  if (auth.bearer_token) headers['Authorization'] = `Bearer ${auth.bearer_token}`;
  return headers;
}
