import { describe, expect, it } from 'vitest';
import { normalizeEvent, parseEventLine } from '../../../src/sources/docker-events/normalize.js';
import { host } from '../../harness/records.js';

const podman = host({ engine: 'podman', version: '4.3.1' });
const docker = host();

// Lines exactly as `podman system service` 4.3.1 sent them on /v1.41/events.
const ID = '622d40939153068db388b7719200d12ae8b90029cdfe121f5df24de5e84585dd';
const attrs = '"Attributes":{"containerExitCode":"0","image":"localhost/local/busybox:1","name":"pm1","podId":""}';
const line = (action: string, timeNano: string, extra = '') =>
  `{"status":"${action}","id":"${ID}","from":"localhost/local/busybox:1","Type":"container","Action":"${action}","Actor":{"ID":"${ID}",${attrs}},"scope":"local","time":${timeNano.slice(0, 10)},"timeNano":${timeNano}${extra}}`;
const HEALTH = line('health_status', '1795425550174725012', ',"HealthStatus":"healthy"');
const EXEC = line('exec', '1795425550464562596');
const EXEC_DIED = line('exec_died', '1795425550505061026');
const REMOVE = line('remove', '1795425552038897708');
const DIE = `{"status":"die","id":"${ID}","from":"localhost/local/busybox:1","Type":"container","Action":"die","Actor":{"ID":"${ID}","Attributes":{"containerExitCode":"137","exitCode":"137","image":"localhost/local/busybox:1","name":"pm1","podId":""}},"scope":"local","time":1795425551,"timeNano":1795425551794004092}`;
const VOLUME_REMOVE =
  '{"status":"remove","Type":"volume","Action":"remove","Actor":{"ID":"","Attributes":{"containerExitCode":"0","image":"","name":"v1","podId":""}},"scope":"local","time":1795425552,"timeNano":1795425552228160398}';
const IMAGE_REMOVE =
  '{"status":"remove","id":"c0a2031dde92","Type":"image","Action":"remove","Actor":{"ID":"c0a2031dde92","Attributes":{"containerExitCode":"0","image":"","name":"localhost/local/t:1","podId":""}},"scope":"local","time":1795425552,"timeNano":1795425552406223079}';

const norm = (text: string, host = podman) => {
  const { raw, timeNano } = parseEventLine(text);
  return normalizeEvent(raw, timeNano, host);
};

describe('Podman events in Docker vocabulary', () => {
  it('takes the health state from the top-level HealthStatus field', () => {
    const r = norm(HEALTH);
    expect(r).toMatchObject({ action: 'health_status', action_detail: 'healthy', time_nano: '1795425550174725012' });
    expect(r.normalized_from).toBeUndefined();
  });

  it('renames exec / exec_died / remove and says so', () => {
    expect(norm(EXEC)).toMatchObject({ action: 'exec_start', action_detail: null, normalized_from: { action: 'exec' } });
    expect(norm(EXEC_DIED)).toMatchObject({ action: 'exec_die', normalized_from: { action: 'exec_died' } });
    expect(norm(REMOVE)).toMatchObject({
      action: 'destroy',
      normalized_from: { action: 'remove' },
      container: { id: ID, name: 'pm1', image: 'localhost/local/busybox:1' },
    });
  });

  it("leaves the compat endpoint's own die (already translated from died) alone", () => {
    const r = norm(DIE);
    expect(r).toMatchObject({ action: 'die', actor: { attributes: { exitCode: '137', containerExitCode: '137' } } });
    expect(r.normalized_from).toBeUndefined();
  });

  it('deletes images and destroys volumes, with the volume name as actor id like Docker', () => {
    expect(norm(IMAGE_REMOVE)).toMatchObject({ type: 'image', action: 'delete', normalized_from: { action: 'remove' }, actor: { id: 'c0a2031dde92' } });
    expect(norm(VOLUME_REMOVE)).toMatchObject({ type: 'volume', action: 'destroy', normalized_from: { action: 'remove' }, actor: { id: 'v1' } });
  });

  it('applies none of this to a Docker daemon', () => {
    expect(norm(EXEC, docker)).toMatchObject({ action: 'exec', action_detail: null });
    expect(norm(EXEC, docker).normalized_from).toBeUndefined();
    expect(norm(HEALTH, docker).action_detail).toBeNull();
    expect(norm(VOLUME_REMOVE, docker)).toMatchObject({ action: 'remove', actor: { id: '' } });
  });
});
