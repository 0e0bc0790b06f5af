import pRetry from 'p-retry';
import type { DockerClient } from '../docker/client.js';
import { DsError, isAbortError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HostInfo } from '../records.js';

/** A pinned API version the daemon cannot serve (negotiate.ts): not healed by retrying. */
export const isConfigProblem = (err: unknown): boolean => err instanceof DsError && err.code === 'CONFIG_INVALID';

/**
 * A systemd service must survive dockerd starting after it: negotiate and
 * identify the daemon, retrying with backoff and saying so. A pinned API
 * version the daemon cannot serve will not heal by waiting: it throws (exit
 * 78, main.ts). Resolves with null when `signal` aborted first.
 */
export async function waitForDaemon(docker: DockerClient, log: Logger, signal: AbortSignal): Promise<HostInfo | null> {
  try {
    const host = await pRetry(
      async () => {
        await docker.negotiate(signal);
        return (await docker.describe(signal)).host;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 500,
        maxTimeout: 30_000,
        randomize: true,
        signal,
        shouldRetry: ({ error }) => !isAbortError(error) && !isConfigProblem(error),
        onFailedAttempt: ({ error, attemptNumber }) => {
          if (!signal.aborted && !isConfigProblem(error))
            log.warn({ daemon: docker.daemonName, attempt: attemptNumber, host: docker.connection.display, err: error }, 'docker daemon unreachable; retrying');
        },
      },
    );
    log.info(
      { daemon: docker.daemonName, host: docker.connection.display, engine: host.engine, version: host.version, apiVersion: host.api_version },
      'connected to docker daemon',
    );
    return host;
  } catch (err) {
    if (!signal.aborted && !isAbortError(err)) throw err;
    return null;
  }
}
