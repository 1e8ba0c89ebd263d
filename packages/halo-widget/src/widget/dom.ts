/** Attributes of {@link h}: strings become attributes, functions `on…` become listeners. */
export type Attrs = Record<string, string | boolean | ((event: Event) => void) | undefined>;

/**
 * Creates an element: `h('button', { class: 'x', onclick }, ['text'])`.
 * Listeners are attached with `addEventListener` (never inline handlers, so a strict CSP holds);
 * text children are text nodes (never HTML), so message text cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else if (value !== undefined && value !== false) el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

/** An inline SVG icon of 24×24 from one path; decorative, so hidden from assistive tech. */
export function icon(path: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}
