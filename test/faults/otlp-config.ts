/** The agent config the OTLP fault tests share: volume events only, into one OTLP sink named `otel`. */
export function volumeEventsToOtlp(
  host: string,
  endpoint: string,
  more: { source?: string; sink?: readonly string[]; top?: readonly string[]; sinks?: string } = {},
): string {
  return `
docker: { host: "${host}" }
state_dir: \${DIR}/state
${(more.top ?? []).join('\n')}
sources:
  events: { type: docker_events, filters: { type: [volume] }${more.source ? `, ${more.source}` : ''} }
sinks:
  otel:
    type: otlp
    inputs: [events]
    protocol: http/protobuf
    endpoint: ${endpoint}
${(more.sink ?? []).map((l) => `    ${l}`).join('\n')}
${more.sinks ?? ''}`;
}
