/**
 * The French pages a company sees (link pages, the end of the Powens webview). Plain HTML with
 * inline styles, no script; every value is escaped.
 */
import type { Response } from 'express';

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;background:#f5f7fa;margin:0}
main{max-width:680px;margin:40px auto;background:#fff;border-radius:10px;padding:32px 36px;box-shadow:0 1px 4px #0001}
h1{font-size:1.4rem;margin-top:0}ul{padding-left:1.2rem}.muted{color:#5b6577;font-size:.92rem}
.consent{background:#f1f4f9;border-radius:8px;padding:14px 18px;margin:18px 0;font-size:.93rem}
.error{background:#fde8e8;color:#9b1c1c;padding:10px 14px;border-radius:6px;margin:14px 0}
.ok{background:#e6f6ec;color:#17603a;padding:10px 14px;border-radius:6px;margin:14px 0}
button{background:#1f4fd1;color:#fff;border:0;border-radius:6px;padding:12px 22px;font-size:1rem;cursor:pointer}
label{display:block;margin:14px 0}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/** Sends a page; never cached (links and callbacks are single-use). */
export function sendPage(res: Response, status: number, title: string, body: string): void {
  res.status(status).set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer').type('html');
  res.send(page(title, body));
}

export function firmContact(firm: { name: string; contactEmail: string; contactPhone: string | null }): string {
  return [firm.name, firm.contactEmail, firm.contactPhone]
    .filter((x): x is string => !!x)
    .map(esc)
    .join('<br>');
}
