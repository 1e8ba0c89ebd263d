import { h } from './dom.js';

/**
 * The widget's whole stylesheet. It is adopted by the shadow root as a constructed
 * stylesheet, so a page CSP with `style-src 'self'` (no `unsafe-inline`) applies no violation.
 */
export const css = `
:host{all:initial;--a:var(--halo-accent,#4f46e5);--bg:#fff;--fg:#1f2937;--mu:#6b7280;--ln:#e5e7eb;--bu:#f3f4f6;--wa:#fef3c7;--wf:#92400e;--er:#b91c1c}
@media (prefers-color-scheme:dark){:host{--bg:#1f2937;--fg:#f3f4f6;--mu:#9ca3af;--ln:#374151;--bu:#374151;--wa:#451a03;--wf:#fde68a;--er:#fca5a5}}
*{box-sizing:border-box;margin:0;font:inherit;color:inherit}
.w{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
button{cursor:pointer;border:0;background:none;padding:0}
:focus-visible{outline:2px solid var(--a);outline-offset:2px}
svg{width:24px;height:24px;fill:currentColor;display:block}
.l,.p{position:fixed;right:20px;z-index:2147483000}
.left .l,.left .p{right:auto;left:20px}
.l{bottom:20px;width:56px;height:56px;border-radius:50%;background:var(--a);color:#fff;display:grid;place-items:center;box-shadow:0 4px 14px rgba(0,0,0,.25);transition:transform .15s}
.l:hover{transform:scale(1.06)}
.l svg{width:28px;height:28px}
.l[aria-expanded=true] .ic,.l[aria-expanded=false] .ix{display:none}
.b{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#dc2626;color:#fff;font:600 12px/20px system-ui,sans-serif}
.b:empty{display:none}
.p{bottom:88px;width:370px;height:min(600px,calc(100vh - 108px));display:flex;flex-direction:column;overflow:hidden;background:var(--bg);border-radius:16px;box-shadow:0 10px 40px rgba(0,0,0,.22);visibility:hidden;opacity:0;transform:translateY(12px);transition:opacity .18s,transform .18s,visibility 0s .18s}
.p.o{visibility:visible;opacity:1;transform:none;transition-delay:0s}
.hd{background:var(--a);color:#fff;padding:18px 20px;display:flex;align-items:flex-start;gap:12px}
.hd div{flex:1}
.hd h2{font-size:17px;font-weight:600}
.hd p{opacity:.9;font-size:13px}
.hd button{color:#fff;border-radius:8px;padding:2px}
.av{width:40px;height:40px;border-radius:50%;object-fit:cover}
.st{background:var(--wa);color:var(--wf);padding:8px 20px;font-size:13px}
.st:empty{display:none}
.lg{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px}
.lg:empty::before{content:"Send us a message: we will answer right here.";margin:auto;color:var(--mu);text-align:center}
.m{max-width:80%;align-self:flex-start}
.m.u{align-self:flex-end;text-align:right}
.t{display:inline-block;text-align:left;padding:9px 13px;border-radius:18px;background:var(--bu);white-space:pre-wrap;overflow-wrap:anywhere}
.u .t{background:var(--a);color:#fff}
.s .t,.q .t{opacity:.7}
.f .t{outline:1px solid var(--er)}
.ty .t{opacity:.85}
.ty:last-child .t::after{content:"▍";animation:bl 1s steps(2) infinite}
@keyframes bl{50%{opacity:0}}
time{font-size:11px;color:var(--mu);margin:0 6px;opacity:0}
.m:hover time{opacity:1}
.me{font-size:12px;color:var(--mu);margin-top:3px}
.f .me{color:var(--er)}
.me button{text-decoration:underline;font-weight:600;margin-left:6px;color:var(--er)}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
form{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--ln)}
textarea{flex:1;resize:none;border:0;background:none;outline:0!important;padding:8px;max-height:120px;min-height:38px;field-sizing:content}
textarea::placeholder{color:var(--mu)}
form:focus-within{box-shadow:inset 0 2px 0 var(--a)}
form button{width:38px;height:38px;border-radius:50%;background:var(--a);color:#fff;display:grid;place-items:center;flex:none}
form button svg{width:20px;height:20px}
@media (max-width:480px){.p,.left .p{inset:0 0 88px 0;width:auto;height:auto;border-radius:0 0 16px 16px}}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`;

/** Gives the shadow root the stylesheet, without an inline style where the browser allows. */
export function adoptStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    // Browsers without constructable stylesheets (Safari < 16.4): a strict CSP would block this.
    root.append(h('style', {}, [css]));
  }
}
