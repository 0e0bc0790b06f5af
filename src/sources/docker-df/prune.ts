/**
 * Prune accounting: `prune` events (API >= 1.41) carry the bytes freed in the
 * actor attribute `reclaimed`, a decimal string (`{"reclaimed":"5242880"}`).
 * The events source puts the number on the event record as `reclaimed_bytes`.
 */
export function reclaimedBytes(attributes: Readonly<Record<string, string>> | null | undefined): number | undefined {
  const raw = attributes?.['reclaimed'];
  if (raw === undefined) return undefined;
  const text = raw.trim();
  // The daemon formats an uint64 with strconv: plain digits, nothing else.
  if (!/^\d+$/.test(text)) return undefined;
  return Number(text);
}
