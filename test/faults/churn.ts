import type { DockerCli } from '../harness/dockerd.js';
import { BUSYBOX_IMAGE } from '../harness/dockerd.js';

export interface Churn {
  /** Stops after the current step; resolves to the name of the last volume removed. */
  stop(): Promise<string>;
  /** Steps that completed. */
  readonly steps: () => number;
  /** Resolves when `maxSteps` steps are done. */
  readonly done: Promise<string>;
}

/**
 * Keeps the daemon producing events: volume create + rm (2 events each), and
 * with `containers`, a short-lived container every few steps. Failures while
 * the daemon is down are ignored (that is the point of some tests).
 */
export function startChurn(cli: DockerCli, prefix: string, opts: { containers?: boolean; maxSteps?: number } = {}): Churn {
  let stopping = false;
  let steps = 0;
  let last = '';
  const loop = (async () => {
    for (let i = 0; !stopping && i < (opts.maxSteps ?? 80); i++) {
      const name = `${prefix}${i}`;
      const created = await cli.docker(['volume', 'create', name]);
      if (created.code === 0 && (await cli.docker(['volume', 'rm', name])).code === 0) last = name;
      if (opts.containers && i % 3 === 0) await cli.docker(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
      steps++;
      if (created.code !== 0) await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    steps: () => steps,
    done: loop.then(() => last),
    async stop() {
      stopping = true;
      await loop;
      return last;
    },
  };
}
