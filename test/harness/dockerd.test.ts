import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { BUSYBOX_IMAGE, DOCKER_ENGINES, dockerCli, isAlive, startDockerd, type DockerEngine, type PrivateDockerd } from './dockerd.js';
import { mountsUnder, pidsOf } from './reap.js';

describe('shared private dockerd (globalSetup)', () => {
  it('answers on the provided host and has the busybox image', async () => {
    const host = inject('dockerHost');
    expect(host).toMatch(/^unix:\/\/\/tmp\/dst-[A-Za-z0-9]{6}\/docker\.sock$/);
    expect(inject('dockerSocketPath')).toBe(host.slice('unix://'.length));
    const cli = dockerCli(host);
    expect(await cli.dockerOk(['version', '--format', '{{.Server.APIVersion}}'])).toMatch(/^1\.\d+$/);
    expect(await cli.dockerOk(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', BUSYBOX_IMAGE])).toBe(BUSYBOX_IMAGE);
  });
});

/** The oldest major each engine name stands for; the version itself is read from the engine (sid moves). */
const MIN_MAJOR: Record<DockerEngine, number> = { 'docker-20.10': 20, 'docker-26': 26, 'docker-28': 28 };

describe.each(DOCKER_ENGINES)('startDockerd %s', (engine) => {
  let daemon: PrivateDockerd | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('starts, runs a container, restarts with a new pid, and stop cleans up', async () => {
    const t0 = performance.now();
    daemon = await startDockerd({ name: 'harness-test', engine });
    const d = daemon;
    console.log(`[harness] start ${d.timings.startMs} ms, busybox import ${d.timings.importMs} ms`);

    expect(d.dir).toMatch(/^\/tmp\/dst-[A-Za-z0-9]{6}$/);
    expect(d.socketPath).toMatch(new RegExp(`^${d.dir}/(s/)?docker\\.sock$`));
    expect(d.host).toBe(`unix://${d.socketPath}`);
    expect(d.engine).toBe(engine);
    expect(Number(d.serverVersion.split('.')[0])).toBeGreaterThanOrEqual(MIN_MAJOR[engine]);
    expect(d.apiVersion).toMatch(/^1\.\d+$/);
    expect(Buffer.byteLength(d.socketPath)).toBeLessThan(108);
    expect(isAlive(d.pid)).toBe(true);
    expect(Number(readFileSync(join(dirname(d.socketPath), 'docker.pid'), 'utf8'))).toBe(d.pid);

    // The daemon is private: no bridge network exists.
    const networks = (await d.dockerOk(['network', 'ls', '--format', '{{.Name}}'])).split('\n').sort();
    expect(networks).toEqual(['host', 'none']);

    const id = await d.runContainer(['--name', 'probe', BUSYBOX_IMAGE, 'sleep', '1000']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await d.dockerOk(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Status}}'])).toMatch(new RegExp(`^${id} probe Up `));
    expect(await d.dockerOk(['inspect', '--format', '{{.HostConfig.NetworkMode}}', id])).toBe('none');
    expect(await d.dockerOk(['exec', id, 'sh', '-c', 'echo hi | wc -c'])).toBe('3');

    // A failing command surfaces as a code, and dockerOk turns it into an error carrying stderr.
    const missing = await d.docker(['inspect', 'no-such-container']);
    expect(missing.code).toBe(1);
    await expect(d.dockerOk(['inspect', 'no-such-container'])).rejects.toThrow(/no-such-container/);

    const firstPid = d.pid;
    await d.restart();
    expect(d.pid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(isAlive(d.pid)).toBe(true);
    // The container survived the restart as a stopped container (no restart policy).
    expect(await d.dockerOk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.State}}'])).toBe(`${id} exited`);

    await d.stopDaemon();
    expect(isAlive(d.pid)).toBe(false);
    expect((await d.docker(['version'], { timeoutMs: 10_000 })).code).not.toBe(0);
    await d.startDaemon();
    expect(await d.dockerOk(['inspect', '--format', '{{.Name}}', id])).toBe('/probe');
    await d.runContainer([BUSYBOX_IMAGE, 'sleep', '1000']);

    const lastPid = d.pid;
    const dir = d.dir;
    await d.stop();
    expect(isAlive(lastPid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(mountsUnder(dir)).toEqual([]);
    expect(pidsOf(dir)).toEqual([]);
    await d.stop(); // idempotent
    console.log(`[harness] full lifecycle ${Math.round(performance.now() - t0)} ms`);
  });
});
