// Errors in logs are pino's `err` objects (type, message with its causes,
// stack, code, details, retryable), with secrets in details redacted, while
// /readyz keeps its one-line reason.
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/errors.js';
import { loggerOptions } from '../../src/log.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { event, pipelineConfig, startPipeline, testSink } from './fixtures.js';

const SENTINEL = 'sentinel-in-error-details-Wq40';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a failed delivery in the log', () => {
  it('is an err object with type, message and causes, stack, code, details and retryable; secrets in details redacted', async () => {
    const config = pipelineConfig(
      dirs,
      '  peer: { type: stdout, inputs: [events], batch: { max_records: 10, linger: 1ms }, retry: { initial: 10ms, max: 20ms } }\n',
    );
    const lines: string[] = [];
    const log = pino(loggerOptions('debug'), { write: (line: string) => void lines.push(line) });
    let attempts = 0;
    let readyzReason: string | null = null;
    const peer = testSink('peer', async () => {
      attempts++;
      if (attempts === 1) {
        const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
        throw new SinkError('export refused', {
          retryable: true,
          cause: refused,
          details: { endpoint: 'http://127.0.0.1:9', password: SENTINEL, headers: { authorization: `Bearer ${SENTINEL}` }, sasl: { password: SENTINEL } },
        });
      }
      readyzReason = pipeline.runners[0]?.status.reason ?? null;
    });
    const pipeline = await startPipeline(config, [peer], { log, metrics: new SelfMetrics() });
    pipeline.emit('events', event(1), true);
    await pipeline.drain(AbortSignal.timeout(5000));

    expect(attempts).toBe(2);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const failed = entries.find((e) => e['msg'] === 'sink delivery failed; retrying');
    expect(failed).toMatchObject({
      sink: 'peer',
      attempt: 1,
      err: {
        type: 'SinkError',
        message: 'export refused: connect ECONNREFUSED 127.0.0.1:9',
        code: 'SINK_RETRYABLE',
        retryable: true,
        outcomeUnknown: false,
        details: { endpoint: 'http://127.0.0.1:9', password: '[redacted]', headers: '[redacted]', sasl: { password: '[redacted]' } },
      },
    });
    const stack = (failed?.['err'] as { stack: string }).stack;
    expect(stack).toMatch(/^SinkError: export refused\n\s+at /);
    expect(stack).toContain('\ncaused by: Error: connect ECONNREFUSED 127.0.0.1:9\n');
    // /readyz (the sink's status) keeps the one line a person reads.
    expect(readyzReason).toBe('export refused: connect ECONNREFUSED 127.0.0.1:9');
    expect(lines.join('\n')).not.toContain(SENTINEL);
  });
});
