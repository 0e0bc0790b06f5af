import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/util/units.js';

const UNIT = join(import.meta.dirname, '../../deploy/systemd/dockstream.service');
const EXEC_START = '/usr/bin/node /opt/dockstream/dist/src/main.js run -c /etc/dockstream/config.yaml';

/** `key → values` of one section (keys may repeat, e.g. SystemCallFilter=). */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1] ?? '';
      continue;
    }
    if (current !== name) continue;
    const i = line.indexOf('=');
    const key = line.slice(0, i);
    out.set(key, [...(out.get(key) ?? []), line.slice(i + 1)]);
  }
  return out;
}

describe('deploy/systemd/dockstream.service', () => {
  const text = readFileSync(UNIT, 'utf8');
  const unit = section(text, 'Unit');
  const service = section(text, 'Service');
  const one = (key: string) => service.get(key)?.join(' ');

  it('orders after dockerd, restarts on failure but not on a bad config, reloads with SIGHUP', () => {
    expect(unit.get('After')?.join(' ').split(/\s+/)).toContain('docker.service');
    expect(unit.get('Wants')?.join(' ').split(/\s+/)).toContain('docker.service');
    expect(one('ExecStart')).toBe(EXEC_START);
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')?.split(/\s+/)).toContain('78');
    // Above the drain deadline (shutdown_timeout, 10s by default) with room for closing sinks.
    expect(parseDuration(one('TimeoutStopSec') ?? '')).toBeGreaterThanOrEqual(2 * 10_000);
  });

  it('runs unprivileged in the docker group with its state directory and the hardening that fits', () => {
    expect(one('User')).toBe('dockstream');
    expect(one('SupplementaryGroups')).toBe('docker');
    expect(one('StateDirectory')).toBe('dockstream');
    expect(one('WorkingDirectory')).toBe('/var/lib/dockstream');
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      RestrictNamespaces: 'yes',
      LockPersonality: 'yes',
      CapabilityBoundingSet: '',
      SystemCallErrorNumber: 'EPERM',
    })) {
      expect(one(key), key).toBe(value);
    }
    expect(service.get('SystemCallFilter')).toEqual(['@system-service', '~@privileged']);
    // V8's JIT needs W+X memory; PrivateUsers would unmap the docker group.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(service.has('PrivateUsers')).toBe(false);
  });
});
