import { StringDecoder } from 'node:string_decoder';

/**
 * Newline-delimited JSON framing: chunks can hold several lines or half of one
 * (DESIGN gotcha 5), and a multi-byte character can straddle two chunks.
 * Yields complete, non-empty lines; a trailing partial line at end of stream
 * is reported through `onTruncated` rather than yielded.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer | string>,
  onTruncated?: (partial: string) => void,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  try {
    for await (const chunk of chunks) {
      const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) !== -1) {
        const line = text.slice(start, nl);
        start = nl + 1;
        if (line.length > 0 && line !== '\r') yield line;
      }
      carry = text.slice(start);
    }
  } catch (err) {
    // The stream was cut: a partial last line is a truncated event, whatever the cause.
    if (carry.trim().length > 0) onTruncated?.(carry);
    throw err;
  }
  carry += decoder.end();
  if (carry.trim().length > 0) onTruncated?.(carry);
}
