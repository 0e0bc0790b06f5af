// The engines the live suites run on, as a matrix (`describe.each`):
// Debian bookworm's packages on this machine, and newer engines from cached
// Debian rootfs (scripts/rootfs.mjs) run through chroot. Versions are read
// from the engines themselves (`/version`), never assumed from the name.
import type { RootfsSuite } from './chroot.js';

export type DockerEngine = 'docker-20.10' | 'docker-26' | 'docker-28';
export type PodmanEngine = 'podman-4' | 'podman-5';
export type EngineName = DockerEngine | PodmanEngine;

/** Where each engine comes from: the host's packages (null) or a rootfs suite. */
export const ENGINE_ROOTFS: Readonly<Record<EngineName, RootfsSuite | null>> = {
  'docker-20.10': null,
  'docker-26': 'trixie',
  'docker-28': 'sid',
  'podman-4': null,
  'podman-5': 'sid',
};

const ALL_DOCKER: readonly DockerEngine[] = ['docker-20.10', 'docker-26', 'docker-28'];
const ALL_PODMAN: readonly PodmanEngine[] = ['podman-4', 'podman-5'];

/**
 * `DST_ENGINES=docker-28,podman-5` narrows the matrix for a quick local run;
 * unset (CI, `npm test`) means every engine. An unknown name is an error, not
 * a silently smaller matrix.
 */
export function selectedEngines(env: NodeJS.ProcessEnv = process.env): readonly EngineName[] {
  const all: readonly EngineName[] = [...ALL_DOCKER, ...ALL_PODMAN];
  const raw = env['DST_ENGINES']?.trim();
  if (!raw) return all;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !all.includes(n as EngineName));
  if (unknown.length > 0) throw new Error(`DST_ENGINES names unknown engines ${unknown.join(', ')} (known: ${all.join(', ')})`);
  return all.filter((e) => names.includes(e));
}

export const DOCKER_ENGINES: readonly DockerEngine[] = selectedEngines().filter((e): e is DockerEngine => (ALL_DOCKER as readonly string[]).includes(e));
export const PODMAN_ENGINES: readonly PodmanEngine[] = selectedEngines().filter((e): e is PodmanEngine => (ALL_PODMAN as readonly string[]).includes(e));
