// vitest globalSetup: one shared private dockerd for the whole run. Tests
// read its address with `inject('dockerHost')`; tests that restart or stop a
// daemon start their own with startDockerd().
import type { TestProject } from 'vitest/node';
import { startDockerd, sweepLeftovers } from './dockerd.js';
import { sweepPodmanLeftovers } from './podman.js';
import { leftoversOf } from './run-check.js';
import { RUN_ID_ENV } from './run-id.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `unix://…/docker.sock` of the shared private dockerd. */
    dockerHost: string;
    /** Filesystem path of the same socket. */
    dockerSocketPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Workers and the daemons they start inherit it; the end-of-run check looks for what carries it.
  const runId = `${process.pid}-${Date.now()}`;
  process.env[RUN_ID_ENV] = runId;
  const daemon = await startDockerd({ name: 'shared' });
  project.provide('dockerHost', daemon.host);
  project.provide('dockerSocketPath', daemon.socketPath);
  if (process.env.DST_HARNESS_TIMINGS) {
    console.log(`[harness] shared dockerd ${daemon.dir}: start ${daemon.timings.startMs} ms, import ${daemon.timings.importMs} ms`);
  }
  return async () => {
    await daemon.stop();
    // Nothing of this run may be left: no harness dir, mount or engine process (reaped as found).
    const left = leftoversOf(runId);
    // Then other runs' directories whose owner died (SIGKILL, crash).
    const swept = [...sweepLeftovers(), ...sweepPodmanLeftovers()];
    if (swept.length > 0) console.warn(`[harness] removed daemons left behind by dead test processes: ${swept.join(', ')}`);
    if (left.length > 0) throw new Error(`the test run left behind (now removed): ${left.join('; ')}`);
  };
}
