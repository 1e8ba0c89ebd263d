// The widget's icons, each the one path of a 24×24 SVG (drawn by `icon` in dom.ts).

/** The launcher's chat bubble. */
export const CHAT = 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z';
/** The launcher's cross, shown while the panel is open. */
export const CLOSE = 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z';
/** The panel's close button. */
export const DOWN = 'M7.41 8.59 12 13.17l4.59-4.58L18 10l-6 6-6-6z';
/** The send button. */
export const SEND = 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z';
