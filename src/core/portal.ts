/**
 * Window-sticker portals as data: one JSON file per portal (`portals/<name>.json`) says where to
 * log in, which fields to fill, how to reach a vehicle's window sticker by VIN, and which
 * environment variables hold the credentials. A new portal is a new file, never new code.
 *
 * Glossary: a *portal* is a manufacturer or dealer web site that serves window-sticker PDFs
 * (Monroney labels) by VIN behind a login. `mode: "link"` opens the vehicle's page and clicks the
 * download link; `mode: "direct"` requests the PDF URL itself with the logged-in session.
 *
 * Pure: parsing, URL building and redaction; no I/O.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';

const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name: upper-case letters, digits and _');
const selector = z.string().trim().min(1);

/** The schema of `portals/<name>.json`. */
export const portalConfigSchema = z
  .object({
    name: z.string().trim().min(1),
    description: z.string().default(''),
    /** `{base_url}` in the URLs below. */
    base_url: z.string().url(),
    /** The NAMES of the environment variables holding the credentials (never the values). */
    credentials: z.object({ username_env: envName, password_env: envName }).strict(),
    login: z
      .object({
        url: z.string().min(1),
        username_selector: selector,
        password_selector: selector,
        submit_selector: selector,
        /** Appears once logged in. */
        success_selector: selector,
        /** Appears when the portal refuses the credentials (optional: else the wait times out). */
        failure_selector: selector.optional(),
      })
      .strict(),
    sticker: z
      .object({
        /** The vehicle's page (`link`) or its PDF (`direct`); must contain `{vin}`. */
        url: z.string().includes('{vin}', { message: 'must contain {vin}' }),
        mode: z.enum(['link', 'direct']).default('link'),
        /** `link` mode: clicking it downloads the PDF. */
        link_selector: selector.optional(),
        /** The portal's "no window sticker for this VIN" (not retried). */
        not_found_selector: selector.optional(),
      })
      .strict()
      .refine((s) => s.mode !== 'link' || s.link_selector !== undefined, {
        message: 'link mode needs link_selector',
        path: ['link_selector'],
      }),
  })
  .strict();

export type PortalConfig = z.infer<typeof portalConfigSchema>;

/** Parses a portal file's JSON, collecting every problem into one InputError naming the file. */
export function parsePortalConfig(json: unknown, file: string): PortalConfig {
  const parsed = portalConfigSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
  throw new InputError(`portal config ${file} is invalid: ${problems[0]}`, {
    file,
    hints: [...problems.slice(1), 'See portals/README.md for the fields of a portal config.'],
  });
}

/** A portal URL with `{base_url}` and `{vin}` filled in (the VIN URL-encoded). */
export function portalUrl(portal: Pick<PortalConfig, 'base_url'>, template: string, vin = ''): string {
  const base = portal.base_url.replace(/\/+$/, '');
  return template.replaceAll('{base_url}', base).replaceAll('{vin}', encodeURIComponent(vin));
}

/** Replaces every occurrence of each secret in `text` with `****` (longest first). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  for (const s of list.sort((a, b) => b.length - a.length)) out = out.split(s).join('****');
  return out;
}
