/** HTML parsing for the extractors (node-html-parser: a small, fast DOM with querySelector). */
import { parse, type HTMLElement } from 'node-html-parser';

export type { HTMLElement };

/** Parses a page; script bodies are kept (some adapters read JSON from them), styles dropped. */
export function parseHtml(html: string): HTMLElement {
  return parse(html, { comment: false, blockTextElements: { script: true, noscript: false, style: false } });
}

/** The text of `<script id=ID>` (or undefined). */
export function scriptById(root: HTMLElement, id: string): string | undefined {
  return root.querySelector(`script#${id}`)?.rawText;
}

/** Every JSON-LD object of a page (arrays and @graph flattened); unparsable blocks are ignored. */
export function jsonLd(root: HTMLElement): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const s of root.querySelectorAll('script[type="application/ld+json"]')) {
    try {
      const v = JSON.parse(s.rawText) as unknown;
      const items = Array.isArray(v) ? v : [v];
      for (const it of items) {
        if (it && typeof it === 'object') {
          const graph = (it as { '@graph'?: unknown })['@graph'];
          if (Array.isArray(graph)) out.push(...(graph as Record<string, unknown>[]));
          else out.push(it as Record<string, unknown>);
        }
      }
    } catch {
      // Sites ship broken JSON-LD blocks beside good ones.
    }
  }
  return out;
}
