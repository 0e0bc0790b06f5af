/**
 * The server-requested delay of a failed gRPC export: OTLP/gRPC servers put a
 * `google.rpc.RetryInfo` into the `google.rpc.Status` details carried by the
 * `grpc-status-details-bin` trailer (the gRPC equivalent of Retry-After).
 * A minimal protobuf reader for those three small messages, so the sink does
 * not need a protobuf runtime for it.
 */
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

interface Field {
  readonly field: number;
  readonly varint?: number;
  readonly bytes?: Uint8Array;
}

function readVarint(buf: Uint8Array, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  let pos = start;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined || pos - start > 10) throw new Error('truncated varint');
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
}

function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    pos = afterTag;
    if (wire === 0) {
      const [v, next] = readVarint(buf, pos);
      out.push({ field, varint: v });
      pos = next;
    } else if (wire === 2) {
      const [len, next] = readVarint(buf, pos);
      if (next + len > buf.length) throw new Error('truncated field');
      out.push({ field, bytes: buf.subarray(next, next + len) });
      pos = next + len;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

/** Delay in ms from a serialized google.rpc.Status, or undefined when it holds no RetryInfo. */
export function retryDelayFromStatusDetails(statusBin: Uint8Array): number | undefined {
  try {
    for (const detail of readFields(statusBin)) {
      if (detail.field !== 3 || !detail.bytes) continue; // Status.details (repeated Any)
      const any = readFields(detail.bytes);
      const typeUrl = any.find((f) => f.field === 1)?.bytes;
      const value = any.find((f) => f.field === 2)?.bytes;
      if (!typeUrl || Buffer.from(typeUrl).toString('utf8') !== RETRY_INFO_TYPE) continue;
      const delay = readFields(value ?? new Uint8Array()).find((f) => f.field === 1)?.bytes; // RetryInfo.retry_delay
      const duration = readFields(delay ?? new Uint8Array());
      const seconds = duration.find((f) => f.field === 1)?.varint ?? 0;
      const nanos = duration.find((f) => f.field === 2)?.varint ?? 0;
      // Negative durations arrive as 10-byte varints: treat anything absurd as "now".
      if (seconds > 1e9 || nanos >= 1e9) return 0;
      return seconds * 1000 + Math.round(nanos / 1e6);
    }
  } catch {
    return undefined;
  }
  return undefined;
}
