// One face for every engine of the live matrix: a private dockerd or Podman
// service (a dockerd named `<label>-<engine>`), its socket and its own CLI, for
// suites that run the same steps on Docker and Podman.
import { startDockerd } from './dockerd.js';
import type { EngineName, PodmanEngine } from './engines.js';
import { PODMAN_ULIMITS, startPodman } from './podman.js';
import type { RunResult } from './proc.js';

export interface LiveEngine {
  readonly name: EngineName;
  readonly podman: boolean;
  /** `unix://…`, for the agent's `docker.host`. */
  readonly host: string;
  /** The engine's socket, for requests made around the agent (engine-http.ts). */
  readonly socketPath: string;
  /** The engine's own CLI (`docker` or `podman`); never throws. */
  cli(args: readonly string[]): Promise<RunResult>;
  /** Like `cli`, but throws with stderr; stdout without the trailing newline. */
  cliOk(args: readonly string[]): Promise<string>;
  /** `run -d --network none` (Podman: with PODMAN_ULIMITS); the container id. */
  run(args: readonly string[]): Promise<string>;
  /** `create --network none` (Podman: with PODMAN_ULIMITS); the container id. */
  create(args: readonly string[]): Promise<string>;
  /** `rm -f` at once (Podman: `-t 0`; its default waits 10 s for `sleep` as PID 1 to obey SIGTERM). */
  remove(id: string): Promise<void>;
  /** One inspect field through the CLI (`--format`). */
  inspect(id: string, format: string): Promise<string>;
  stop(): Promise<void>;
}

const isPodman = (name: EngineName): name is PodmanEngine => name.startsWith('podman-');

export async function startEngine(name: EngineName, label: string): Promise<LiveEngine> {
  if (isPodman(name)) {
    const pm = await startPodman({ engine: name });
    return {
      name,
      podman: true,
      host: pm.host,
      socketPath: pm.socketPath,
      cli: (args) => pm.podman(args),
      cliOk: (args) => pm.podmanOk(args),
      run: (args) => pm.runContainer(args),
      create: async (args) => (await pm.podmanOk(['create', '--network', 'none', ...PODMAN_ULIMITS, ...args])).trim(),
      remove: async (id) => void (await pm.podmanOk(['rm', '-f', '-t', '0', id])),
      inspect: (id, format) => pm.podmanOk(['inspect', '--format', format, id]),
      stop: () => pm.stop(),
    };
  }
  const d = await startDockerd({ name: `${label}-${name}`, engine: name });
  return {
    name,
    podman: false,
    host: d.host,
    socketPath: d.socketPath,
    cli: (args) => d.docker([...args]),
    cliOk: (args) => d.dockerOk([...args]),
    run: (args) => d.runContainer([...args]),
    create: (args) => d.dockerOk(['create', '--network', 'none', ...args]),
    remove: async (id) => void (await d.dockerOk(['rm', '-f', id])),
    inspect: (id, format) => d.dockerOk(['inspect', '--format', format, id]),
    stop: () => d.stop(),
  };
}
