/**
 * A tiny mustache-like renderer for the e-mail templates kept in `templates/` (no dependency):
 *  - `{{name}}`, `{{a.b}}`: a value, HTML-escaped in HTML templates;
 *  - `{{{name}}}`: a value, never escaped (only for HTML we built ourselves);
 *  - `{{#name}}…{{/name}}`: repeated for each item of a list (the item is the context, `{{.}}` is
 *    the item itself), or rendered once when the value is truthy;
 *  - `{{^name}}…{{/name}}`: rendered when the value is falsy or an empty list.
 * A line holding only a section tag disappears with its line break (mustache's "standalone" rule).
 * An unknown name is an error, so a typo in a template fails its test instead of sending a hole.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Node =
  | { t: 'text'; v: string }
  | { t: 'var'; name: string; raw: boolean }
  | { t: 'section'; name: string; inverted: boolean; children: Node[] };

export type TemplateContext = Record<string, unknown>;

const TAG = /\{\{\{\s*([\w.]+)\s*\}\}\}|\{\{\s*([#^/]?)\s*([\w.]+|\.)\s*\}\}/g;
const STANDALONE = /^[ \t]*(\{\{\s*[#^/]\s*[\w.]+\s*\}\})[ \t]*\r?\n/gm;

export function parseTemplate(source: string, name = 'template'): Node[] {
  const src = source.replace(STANDALONE, '$1');
  const root: Node[] = [];
  const stack: Array<{ name: string; children: Node[] }> = [{ name: '', children: root }];
  let last = 0;
  for (const m of src.matchAll(TAG)) {
    const top = stack[stack.length - 1]!;
    if (m.index > last) top.children.push({ t: 'text', v: src.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[1]) {
      top.children.push({ t: 'var', name: m[1], raw: true });
      continue;
    }
    const [, , sigil, tagName] = m as unknown as [string, undefined, string, string];
    if (sigil === '#' || sigil === '^') {
      const node: Node = { t: 'section', name: tagName, inverted: sigil === '^', children: [] };
      top.children.push(node);
      stack.push({ name: tagName, children: node.children });
    } else if (sigil === '/') {
      if (stack.length === 1 || top.name !== tagName)
        throw new Error(`${name}: {{/${tagName}}} closes ${stack.length === 1 ? 'nothing' : `{{#${top.name}}}`}`);
      stack.pop();
    } else top.children.push({ t: 'var', name: tagName, raw: false });
  }
  if (stack.length > 1) throw new Error(`${name}: {{#${stack[stack.length - 1]!.name}}} is never closed`);
  if (last < src.length) root.push({ t: 'text', v: src.slice(last) });
  return root;
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function lookup(stack: unknown[], name: string, template: string): unknown {
  if (name === '.') return stack[stack.length - 1];
  const [head, ...rest] = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    const ctx = stack[i];
    if (ctx !== null && typeof ctx === 'object' && head! in ctx) {
      let v: unknown = (ctx as Record<string, unknown>)[head!];
      for (const part of rest) {
        if (v === null || v === undefined) return v;
        v = (v as Record<string, unknown>)[part];
      }
      return v;
    }
  }
  throw new Error(`${template}: unknown name {{${name}}}`);
}

function renderNodes(nodes: Node[], stack: unknown[], html: boolean, template: string): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.v;
    else if (n.t === 'var') {
      const v = lookup(stack, n.name, template);
      const s = v === null || v === undefined ? '' : String(v);
      out += html && !n.raw ? escapeHtml(s) : s;
    } else {
      const v = lookup(stack, n.name, template);
      const empty = !v || (Array.isArray(v) && v.length === 0);
      if (n.inverted) {
        if (empty) out += renderNodes(n.children, stack, html, template);
      } else if (Array.isArray(v)) {
        for (const item of v) out += renderNodes(n.children, [...stack, item], html, template);
      } else if (!empty) {
        out += renderNodes(n.children, typeof v === 'object' ? [...stack, v] : stack, html, template);
      }
    }
  }
  return out;
}

export function renderTemplate(source: string, context: TemplateContext, opts: { html: boolean; name?: string }) {
  const name = opts.name ?? 'template';
  return renderNodes(parseTemplate(source, name), [context], opts.html, name);
}

const TEMPLATE_DIR = join(__dirname, 'templates');
const cache = new Map<string, string>();

/** Reads `templates/<file>` once. */
export function templateSource(file: string): string {
  let s = cache.get(file);
  if (s === undefined) {
    s = readFileSync(join(TEMPLATE_DIR, file), 'utf8');
    cache.set(file, s);
  }
  return s;
}

/**
 * Renders the message `<name>`: `<name>.txt.mustache` starts with a `Subject: …` line and a blank
 * line, then the text body; `<name>.html.mustache` is the HTML body, placed in `layout.html.mustache`.
 */
export function renderMessageTemplate(name: string, context: TemplateContext) {
  const textSource = templateSource(`${name}.txt.mustache`);
  const m = /^Subject: (.*)\r?\n\r?\n/.exec(textSource);
  if (!m) throw new Error(`${name}.txt.mustache must start with "Subject: …" and a blank line`);
  const subject = renderTemplate(m[1]!, context, { html: false, name: `${name} (subject)` })
    .replace(/\s+/g, ' ')
    .trim();
  const text = renderTemplate(textSource.slice(m[0].length), context, { html: false, name: `${name}.txt` });
  const content = renderTemplate(templateSource(`${name}.html.mustache`), context, {
    html: true,
    name: `${name}.html`,
  });
  const html = renderTemplate(
    templateSource('layout.html.mustache'),
    { ...context, subject, content },
    { html: true, name: 'layout.html' },
  );
  return { subject, text: text.trimEnd() + '\n', html };
}
