// systemd's own checks of the shipped unit. systemd-analyze is a peer that
// `npm test` installs (Debian package systemd), so this file is outside the
// fast lane and a missing binary fails the run instead of skipping it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const UNIT = join(import.meta.dirname, '../../deploy/systemd/dockstream.service');

/**
 * Runs systemd-analyze on a copy of the unit under its own name in a temp dir.
 * The only change: ExecStart's interpreter becomes the node running this test,
 * because `verify` fails when that binary is missing (CI images keep node in
 * /usr/local/bin). Nothing is installed, enabled or started.
 */
function analyzeCopy(args: readonly string[]) {
  const text = readFileSync(UNIT, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'ds-unit-'));
  try {
    const path = join(dir, 'dockstream.service');
    writeFileSync(path, text.replace(`ExecStart=/usr/bin/node `, `ExecStart=${process.execPath} `));
    const res = spawnSync('systemd-analyze', [...args, path], { encoding: 'utf8' });
    expect(res.error, 'systemd-analyze (Debian package systemd) must be on PATH').toBeUndefined();
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('systemd-analyze on deploy/systemd/dockstream.service', () => {
  it('verify passes without a single warning', () => {
    const res = analyzeCopy(['verify', '--man=no']);
    // verify exits 0 on unknown keys or bad values; it only warns on stderr.
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('security (offline) rates the exposure OK (at most 2.0 of 10)', () => {
    const res = analyzeCopy(['security', '--offline=yes', '--no-pager']);
    expect(res.status, res.stderr).toBe(0);
    const m = /Overall exposure level for dockstream\.service: (\d+\.\d+) (\w+)/.exec(res.stdout);
    expect(m?.[2]).toBe('OK');
    expect(Number(m?.[1])).toBeLessThanOrEqual(2.0);
  });
});
