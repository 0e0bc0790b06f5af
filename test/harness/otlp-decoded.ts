// Flat, test-friendly views of decoded OTLP export requests (as protobufjs
// `toObject` produces them: camelCase fields, 64-bit integers as decimal
// strings, enums as names, fields at their default value left out).

type Obj = Record<string, unknown>;

export interface ReceivedLog {
  readonly transport: string;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: { readonly name?: string; readonly version?: string };
  /** Exact decimal nanoseconds as on the wire. */
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: string | undefined;
  readonly severityText: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly body: unknown;
}

export interface ReceivedPoint {
  readonly transport: string;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: { readonly name?: string; readonly version?: string };
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly type: 'gauge' | 'sum' | 'other';
  /** Sums only. */
  readonly isMonotonic: boolean | undefined;
  readonly aggregationTemporality: string | undefined;
  readonly startTimeUnixNano: string;
  readonly timeUnixNano: string;
  readonly valueType: 'int' | 'double';
  /** asInt as a string (exact), asDouble as a number. */
  readonly value: string | number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** An OTLP AnyValue as plain JS: intValue stays a decimal string so nothing is rounded. */
export function anyValue(v: unknown): unknown {
  const a = (v ?? {}) as Obj;
  if ('stringValue' in a) return a['stringValue'];
  if ('boolValue' in a) return a['boolValue'];
  if ('intValue' in a) return String(a['intValue']);
  if ('doubleValue' in a) return a['doubleValue'];
  if ('bytesValue' in a) return a['bytesValue'];
  if ('arrayValue' in a) return list((a['arrayValue'] as Obj)['values']).map(anyValue);
  if ('kvlistValue' in a) return attributes((a['kvlistValue'] as Obj)['values']);
  return undefined;
}

export function attributes(kvs: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list(kvs)) out[String(kv['key'])] = anyValue(kv['value']);
  return out;
}

export function flattenLogs(request: Obj, transport: string): ReceivedLog[] {
  return list(request['resourceLogs']).flatMap((rl) => {
    const resource = attributes((rl['resource'] as Obj | undefined)?.['attributes']);
    return list(rl['scopeLogs']).flatMap((sl) => {
      const scope = (sl['scope'] ?? {}) as ReceivedLog['scope'];
      return list(sl['logRecords']).map((lr) => ({
        transport,
        resource,
        scope,
        timeUnixNano: String(lr['timeUnixNano'] ?? '0'),
        observedTimeUnixNano: String(lr['observedTimeUnixNano'] ?? '0'),
        severityNumber: lr['severityNumber'] as string | undefined,
        severityText: lr['severityText'] as string | undefined,
        attributes: attributes(lr['attributes']),
        body: anyValue(lr['body']),
      }));
    });
  });
}

function pointsOf(metric: Obj): { type: ReceivedPoint['type']; data: Obj } {
  if (metric['gauge']) return { type: 'gauge', data: metric['gauge'] as Obj };
  if (metric['sum']) return { type: 'sum', data: metric['sum'] as Obj };
  return { type: 'other', data: {} };
}

export function flattenMetrics(request: Obj, transport: string): ReceivedPoint[] {
  return list(request['resourceMetrics']).flatMap((rm) => {
    const resource = attributes((rm['resource'] as Obj | undefined)?.['attributes']);
    return list(rm['scopeMetrics']).flatMap((sm) => {
      const scope = (sm['scope'] ?? {}) as ReceivedPoint['scope'];
      return list(sm['metrics']).flatMap((m) => {
        const { type, data } = pointsOf(m);
        return list(data['dataPoints']).map((dp) => ({
          transport,
          resource,
          scope,
          name: String(m['name']),
          unit: String(m['unit'] ?? ''),
          description: String(m['description'] ?? ''),
          type,
          isMonotonic: type === 'sum' ? Boolean(data['isMonotonic']) : undefined,
          aggregationTemporality: data['aggregationTemporality'] as string | undefined,
          startTimeUnixNano: String(dp['startTimeUnixNano'] ?? '0'),
          timeUnixNano: String(dp['timeUnixNano'] ?? '0'),
          valueType: 'asInt' in dp ? ('int' as const) : ('double' as const),
          value: 'asInt' in dp ? String(dp['asInt']) : Number(dp['asDouble']),
          attributes: attributes(dp['attributes']),
        }));
      });
    });
  });
}
