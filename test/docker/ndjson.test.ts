import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/docker/ndjson.js';

async function* chunks(parts: Array<string | Buffer>) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

async function collect(parts: Array<string | Buffer>) {
  const out: string[] = [];
  const truncated: string[] = [];
  for await (const line of splitLines(chunks(parts), (p) => truncated.push(p))) out.push(line);
  return { out, truncated };
}

describe('NDJSON framing', () => {
  it('joins one event split across reads', async () => {
    const { out } = await collect(['{"Type":"conta', 'iner","Action":"st', 'art"}\n']);
    expect(out).toEqual(['{"Type":"container","Action":"start"}']);
  });

  it('splits several events in one read', async () => {
    const { out } = await collect(['{"a":1}\n{"a":2}\n{"a":', '3}\n{"a":4}\n']);
    expect(out).toEqual(['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}']);
  });

  it('keeps a multi-byte character split between chunks intact', async () => {
    const bytes = Buffer.from('{"name":"café ☕"}\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte ☕
    const { out } = await collect([bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(out).toEqual(['{"name":"café ☕"}']);
  });

  it('reports a truncated last line instead of yielding it', async () => {
    const { out, truncated } = await collect(['{"a":1}\n{"a":', '2']);
    expect(out).toEqual(['{"a":1}']);
    expect(truncated).toEqual(['{"a":2']);
  });

  it('carries a partial line over several reads, up to a read of just its newline', async () => {
    const { out } = await collect(['{"a":', '1', '}', '\n', '{"b":2}\n{"c"', ':3}\n\n{"d":4}\n']);
    expect(out).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
    const crlf = await collect(['{"a":1}\r', '\n\r', '\n']);
    expect(crlf.out).toEqual(['{"a":1}\r']);
  });

  it('skips empty lines and CRLF remnants', async () => {
    const { out } = await collect(['\n{"a":1}\r\n\n']);
    expect(out).toEqual(['{"a":1}\r']);
  });
});

describe('NDJSON framing on a cut stream', () => {
  it('reports the partial line and rethrows when the stream errors', async () => {
    async function* cut() {
      yield Buffer.from('{"a":1}\n{"a":');
      throw new Error('socket hang up');
    }
    const out: string[] = [];
    const truncated: string[] = [];
    await expect(
      (async () => {
        for await (const line of splitLines(cut(), (p) => truncated.push(p))) out.push(line);
      })(),
    ).rejects.toThrow('socket hang up');
    expect(out).toEqual(['{"a":1}']);
    expect(truncated).toEqual(['{"a":']);
  });
});
