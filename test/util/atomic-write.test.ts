// One atomic-write helper for every small state file (cursor, spool
// position, alert state): temp file, fsync, rename, fsync of the directory,
// mode 0600. strace shows the system calls in their real order.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../src/log.js';
import { DiskSpool } from '../../src/pipeline/spool.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { event } from '../pipeline/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ds-atomic-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The file-related system calls of a child running `code` (tsx), as strace prints them. */
function traced(code: string, outFile: string): string[] {
  execFileSync(
    'strace',
    ['-f', '-qq', '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', '-o', outFile, process.execPath, '--import', 'tsx', '-e', code],
    {
      cwd: ROOT,
      stdio: 'ignore',
    },
  );
  return joinResumed(readFileSync(outFile, 'utf8').split('\n')).filter((l) => /\b(openat|fsync|fdatasync|rename\w*)\(/.test(l));
}

/**
 * With several threads (libuv's pool does the fs calls), strace splits a call
 * another thread interrupted into `… <unfinished ...>` and `<... name resumed> …`
 * lines: joined back here, so that a call and its result are one line.
 */
function joinResumed(lines: readonly string[]): string[] {
  const started = new Map<string, string>();
  const out: string[] = [];
  for (const line of lines) {
    const unfinished = /^(\d+)\s+(.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      started.set(unfinished[1] as string, unfinished[2] as string);
      continue;
    }
    const resumed = /^(\d+)\s+<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed) {
      out.push(`${resumed[1]} ${started.get(resumed[1] as string) ?? ''}${resumed[2]}`);
      started.delete(resumed[1] as string);
      continue;
    }
    out.push(line);
  }
  return out;
}

/** Index of the first line matching `re`, after `from`; throws when absent. */
function at(lines: string[], re: RegExp, from = 0): number {
  const i = lines.findIndex((l, n) => n >= from && re.test(l));
  if (i < 0) throw new Error(`no ${re} after line ${from} in:\n${lines.join('\n')}`);
  return i;
}

describe('writeFileAtomic', () => {
  it('writes through a temp file with mode 0600, replacing a stale temp file, leaving nothing behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    writeFileSync(`${path}.tmp`, 'junk from a crash', { mode: 0o644 });
    await writeFileAtomic(path, '{"a":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
    await writeFileAtomic(path, '{"a":2}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"a":2}\n');
  });

  it('keeps the old content at the same path when the write cannot complete (disk full mid-write on a 64 KiB tmpfs)', async () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
    try {
      const path = join(dir, 'state.json');
      await writeFileAtomic(path, 'old\n');
      const big = 'x'.repeat(256 * 1024);
      // The same path: the new content does not fit, the write fails part way through.
      await expect(writeFileAtomic(path, big)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(readFileSync(path, 'utf8')).toBe('old\n');
      expect(readdirSync(dir)).toEqual(['state.json']);
      // Still writable once the content fits.
      await writeFileAtomic(path, 'new\n');
      expect(readFileSync(path, 'utf8')).toBe('new\n');
      // Control: the same failed write made in place destroys the old content (what the helper avoids).
      expect(() => writeFileSync(path, big)).toThrow(expect.objectContaining({ code: 'ENOSPC' }) as Error);
      expect(readFileSync(path, 'utf8')).not.toBe('new\n');
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('fsyncs the temp file before the rename and the directory after it', () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    const lines = traced(`import('./src/util/atomic-write.ts').then((m) => m.writeFileAtomic(${JSON.stringify(path)}, 'x'))`, join(tempDir(), 'strace.txt'));
    const fdOf = (line: string) => /= (\d+)$/.exec(line)?.[1];
    const openTmp = at(lines, new RegExp(`openat\\(.*"${path}\\.tmp", O_WRONLY\\|O_CREAT\\|O_TRUNC`));
    const tmpFd = fdOf(lines[openTmp] as string);
    const syncTmp = at(lines, new RegExp(`fsync\\(${tmpFd}\\)`), openTmp);
    const rename = at(lines, new RegExp(`rename\\w*\\(.*"${path}\\.tmp".*"${path}"`), syncTmp);
    const openDir = at(lines, new RegExp(`openat\\(.*"${dir}", O_RDONLY`), rename);
    at(lines, new RegExp(`fsync\\(${fdOf(lines[openDir] as string)}\\)`), openDir);
  });

  it('is what the disk spool uses for position.json (and spool files are 0600 in a 0700 directory)', async () => {
    const dir = join(tempDir(), 'spool');
    const spool = await DiskSpool.open(dir, 1024 * 1024, nullLogger());
    for (let i = 0; i < 3; i++) spool.offer(event(i));
    await spool.flush();
    await spool.peek(2);
    await spool.ack(2);
    await spool.close();
    expect(JSON.parse(readFileSync(join(dir, 'position.json'), 'utf8'))).toEqual({ segment: 1, offset: expect.any(Number) as number });
    expect(readdirSync(dir).sort()).toEqual(['000000000001.ndjson', 'position.json']);
    for (const f of readdirSync(dir)) expect([f, statSync(join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const reopened = await DiskSpool.open(dir, 1024 * 1024, nullLogger());
    expect(reopened.depth.records).toBe(1);
    await reopened.close();
  });
});
