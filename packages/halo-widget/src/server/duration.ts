const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Seconds from a number of seconds or a span such as `'90s'`, `'15m'`, `'24h'`, `'7d'`; null
 * for anything else (zero and negative spans included), so a config check can name the field.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/i.exec(value);
  if (!match) return null;
  const seconds = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  return seconds > 0 ? seconds : null;
}
