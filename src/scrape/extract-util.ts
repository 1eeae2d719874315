/** Small pure helpers the extractors share: text values, URLs, payload shapes, embedded config. */
import type { z } from 'zod';
import { fieldValue, stripHtml as stripHtmlRule } from '../core/scrape-rules.js';
import { ShapeError } from './errors.js';

/** A field value as CSV text: numbers and booleans as written, null/undefined as ''. */
export function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** `site` + `/path`, keeping any base path of the site URL (fixture sites may live under one). */
export function siteUrlFor(site: string, pathAndQuery: string): string {
  return `${site.replace(/\/+$/, '')}${pathAndQuery.startsWith('/') ? '' : '/'}${pathAndQuery}`;
}

/** A link from a payload made absolute against the site (links are often relative). */
export function absoluteUrl(link: unknown, site: string): string {
  const s = text(link).trim();
  if (s === '') return '';
  try {
    return new URL(s, `${site.replace(/\/+$/, '')}/`).href;
  } catch {
    return s;
  }
}

/** Reads `a.b.c` from an object (the scrape rules' own path reader). */
export const getPath = fieldValue;

/** Validates a payload against the shape an adapter expects, or throws a specific ShapeError. */
export function expectShape<T>(platform: string, what: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : '(root)';
  throw new ShapeError(platform, what, `at ${where}: ${issue.message}`);
}

/** Parses a JSON body, or throws a ShapeError quoting its start (an HTML error page, say). */
export function parseJson(platform: string, what: string, body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    const start = body.slice(0, 80).replace(/\s+/g, ' ');
    throw new ShapeError(platform, what, `not JSON (starts with "${start}")`);
  }
}

/**
 * Finds `var NAME = {...}` (or `NAME={...}`, `window.NAME = {...}`) in a page and returns the object
 * text, braces balanced and strings respected. Undefined when the page has no such assignment.
 */
export function findAssignedObject(page: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|[^A-Za-z0-9_$.])(?:window\\.)?${name}\\s*=\\s*\\{`, 'm');
  const m = re.exec(page);
  if (!m) return undefined;
  const start = m.index + m[0].length - 1;
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < page.length; i++) {
    const c = page[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return page.slice(start, i + 1);
  }
  return undefined;
}

/**
 * Reads string properties of a JavaScript object literal (`{appId: "X", 'apiKey': 'Y'}`): pages
 * embed config as JavaScript, not always valid JSON.
 */
export function readJsString(objectText: string, key: string): string | undefined {
  const re = new RegExp(`["']?\\b${key}\\b["']?\\s*:\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|'((?:[^'\\\\]|\\\\.)*)')`);
  const m = re.exec(objectText);
  if (!m) return undefined;
  const raw = m[1] ?? m[2] ?? '';
  return raw.replace(/\\(.)/g, '$1');
}

/** Strips tags and collapses whitespace (the scrape rules' own). */
export const stripHtml = stripHtmlRule;

/** `true`, `"true"`, `"1"`, `"yes"`, 1 -> true. */
export function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return /^(true|1|yes|y)$/i.test(text(v).trim());
}
