// vitest globalSetup: one shared private dockerd for the whole run. Tests
// read its address with `inject('dockerHost')`; tests that restart or stop a
// daemon start their own with startDockerd().
import type { TestProject } from 'vitest/node';
import { startDockerd, sweepLeftovers } from './dockerd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `unix://…/docker.sock` of the shared private dockerd. */
    dockerHost: string;
    /** Filesystem path of the same socket. */
    dockerSocketPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const daemon = await startDockerd({ name: 'shared' });
  project.provide('dockerHost', daemon.host);
  project.provide('dockerSocketPath', daemon.socketPath);
  if (process.env.DST_HARNESS_TIMINGS) {
    console.log(`[harness] shared dockerd ${daemon.dir}: start ${daemon.timings.startMs} ms, import ${daemon.timings.importMs} ms`);
  }
  return async () => {
    await daemon.stop();
    // Daemons of test workers that died without cleaning up (SIGKILL, crash).
    const swept = sweepLeftovers();
    if (swept.length > 0) console.warn(`[harness] removed daemons left behind by dead test workers: ${swept.join(', ')}`);
  };
}
