import type { SinkContext } from '../../pipeline/types.js';
import type { OtlpSinkOptions } from './options.js';
import { OtlpSink } from './sink.js';

/**
 * Internal constructor: tests pass their own environment; the agent gets the
 * process's, read the way every OpenTelemetry tool reads OTEL_EXPORTER_OTLP_*.
 */
export function createOtlpSink(
  name: string,
  options: OtlpSinkOptions,
  ctx: SinkContext,
  env: Readonly<Record<string, string | undefined>> = process.env,
): OtlpSink {
  return new OtlpSink(name, options, ctx.log, ctx.metrics, env);
}
