/**
 * A random UUID v4 (122 random bits). `crypto.randomUUID` exists only in secure contexts,
 * `getRandomValues` everywhere, so the UUID is built by hand.
 */
export function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 15) | 64;
  b[8] = (b[8]! & 63) | 128;
  // Two hex digits per byte, with the dashes before bytes 4, 6, 8 and 10.
  return Array.from(b, (x, i) => (i > 3 && i < 11 && !(i & 1) ? '-' : '') + (x | 256).toString(16).slice(1)).join('');
}
