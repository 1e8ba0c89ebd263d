// jose's time-span grammar (`'15m'`, `'2 hours'`, `'1d ago'`), kept so that `signUserToken`
// accepts what it accepted when it signed through jose's SignJWT.
const MULTIPLIERS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_557_600 };
const SPAN =
  /^(\+|-)? ?(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)(?: (ago|from now))?$/i;

/** Seconds in a time span such as `'15m'` or `'24 hours'` (negative for `'-1h'` or `'1h ago'`); null if it is not one. */
export function timeSpanSeconds(span: string): number | null {
  const matched = SPAN.exec(span);
  if (!matched || (matched[4] && matched[1])) return null;
  const seconds = Math.round(parseFloat(matched[2]!) * MULTIPLIERS[matched[3]![0]!.toLowerCase()]!);
  if (!Number.isFinite(seconds)) return null;
  return matched[1] === '-' || matched[4]?.toLowerCase() === 'ago' ? -seconds : seconds;
}
