/** DOM helpers of the studio page: element lookup by id (it must exist) and a small element builder. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`studio page: no element #${id}`);
  return e as T;
}

type Attrs = Record<string, string | number | boolean | undefined>;

/** `<tag attrs>children</tag>`; `text` sets the text, boolean attributes are set when true. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, children: (Node | string | null)[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'className') e.className = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

/** A <select> of `options` (value, label) with `value` selected. */
export function select(options: (string | [string, string])[], value: string, attrs: Attrs = {}): HTMLSelectElement {
  const s = el('select', attrs);
  for (const o of options) {
    const [v, label] = typeof o === 'string' ? [o, o] : o;
    s.appendChild(el('option', { value: v, text: label, selected: v === value }));
  }
  s.value = value;
  return s;
}

/** A name safe inside a data-testid or an id. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Saves `data` as a file named `name` (an <a download> click on a blob URL). */
export function download(name: string, data: BlobPart, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = el('a', { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
