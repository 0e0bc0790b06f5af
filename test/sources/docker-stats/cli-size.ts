// Test helper: sizes as `docker stats` prints them (`324KiB`, binary units, 4 significant digits),
// or `podman stats` (`327.7kB`, decimal units).

/** `1.2MiB` → bytes, and the unit of the printed figure's last digit (the CLI prints 4 significant digits). */
export function parseCliSize(text: string): { bytes: number; printStep: number } {
  const m = /^([\d.]+)([kKMGT]?i?B)$/.exec(text.trim());
  if (!m) throw new Error(`cannot parse size ${text}`);
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
  const unit = units[m[2] as string] as number;
  const digits = m[1] as string;
  const decimals = digits.includes('.') ? (digits.split('.')[1] as string).length : 0;
  return { bytes: Number(digits) * unit, printStep: unit * 10 ** -decimals };
}
