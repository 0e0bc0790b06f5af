// vitest setupFiles: after each test file's own hooks, no daemon it started
// may still run. A leaked one is reaped here and fails the file (the exit
// hooks would reap it silently later, after the end-of-run check).
import { afterAll } from 'vitest';
import { liveDockerdDirs } from './dockerd.js';
import { livePodmanDirs, reapPodmanDirSync } from './podman.js';
import { reapDirSync } from './reap.js';

afterAll(() => {
  const docker = liveDockerdDirs();
  const podman = livePodmanDirs();
  for (const dir of docker) reapDirSync(dir);
  for (const dir of podman) reapPodmanDirSync(dir);
  const left = [...docker.map((d) => `dockerd ${d}`), ...podman.map((d) => `podman ${d}`)];
  if (left.length > 0) throw new Error(`test file left running (now reaped): ${left.join(', ')}; stop() what you start`);
});
