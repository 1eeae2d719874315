/**
 * The QR PNG paths written into the `@` (image) cells of an order CSV, for the machine where a
 * designer opens the order with InDesign Data Merge. InDesign wants image paths that "follow the
 * naming conventions of the operating system" they are stored on, and matches them case-sensitively.
 *
 * Glossary: a *QR path base* is how the designers reach the orders folder (setting
 * SILVERFOX_QR_PATH_BASE, or `silverfox orders paths --base`):
 * - `windows`: a drive letter (`Z:\SilverFox\orders`) or a UNC share (`\\fileserver\orders`);
 *   cells are `Z:\SilverFox\orders\<folder>\qr_codes\<VIN>.png`, backslashes only.
 * - `posix`: an absolute slash path (`/Volumes/Orders`); cells are `/Volumes/Orders/<folder>/qr_codes/<VIN>.png`.
 * - `relative`: cells are `qr_codes/<VIN>.png`, relative to the CSV (silverfox's first format).
 * Without the setting, the base is the orders folder of the machine that wrote the order (as the
 * earlier system did): its absolute path, in its own style.
 *
 * Every part of a path is checked against what both Windows and macOS can hold (no `< > : " | ? * \`,
 * no control or non-ASCII characters, which the ASCII CSV would turn into `?`), and Windows paths
 * also against its reserved names (CON, NUL, COM1...) and names ending in a dot or a space. Case is
 * kept exactly: the folder and VIN parts are spelled as the files on disk are.
 */

/** The folder of the QR codes inside an order folder. */
export const QR_DIR = 'qr_codes';

/** A vehicle's QR PNG, relative to the order folder (and so to its CSVs): named by VIN, never by position. */
export function qrFilePath(vin: string): string {
  return `${QR_DIR}/${vin.trim().toUpperCase()}.png`;
}

export type QrPathStyle = 'windows' | 'posix' | 'relative';

/** A validated base: `base` is normalized (one kind of separator, no trailing one but at a root). */
export type QrPathBase =
  { style: 'windows'; base: string } | { style: 'posix'; base: string } | { style: 'relative'; base: null };

/** Where an order's base came from, as order_summary.json records it. */
export type QrPathSource = 'setting' | 'local' | 'rewrite';

/** order_summary.json `qr_paths`: the base the `@` cells were written with. */
export type QrPathsRecord = QrPathBase & { source: QrPathSource };

/** The cells of orders written before the setting existed. */
export const RELATIVE_QR_PATHS: QrPathBase = { style: 'relative', base: null };

/** The value of SILVERFOX_QR_PATH_BASE (and `--base`) that keeps relative cells. */
export const RELATIVE_KEYWORD = 'relative';

export type QrPathBaseResult = { ok: true; base: QrPathBase } | { ok: false; problem: string };

// Characters Windows refuses in a name, plus `\` (a separator there); `:` is also refused by
// macOS's Finder (its old separator). Control characters and non-ASCII are checked apart.
const FORBIDDEN = /[<>:"|?*\\]/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.[^.]*)?$/i;

/** Why one part (folder or file name) of a path cannot be used, or null when it can. */
export function pathPartProblem(part: string, style: Exclude<QrPathStyle, 'relative'>): string | null {
  if (part === '.' || part === '..') return `"${part}" is not allowed in a base (write the full path)`;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\x00-\x1f\x7f]/.test(part)) return `"${printable(part)}" holds a control character`;
  if (!/^[\x20-\x7e]*$/.test(part))
    return `"${printable(part)}" holds a non-ASCII character (the order CSV is ASCII; rename the folder)`;
  const bad = FORBIDDEN.exec(part);
  if (bad) return `"${part}" holds "${bad[0]}", which Windows and macOS paths cannot hold`;
  if (style === 'windows') {
    if (WINDOWS_RESERVED.test(part)) return `"${part}" is a reserved name on Windows`;
    if (/[ .]$/.test(part)) return `"${part}" ends with a dot or a space, which Windows drops`;
  }
  return null;
}

function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function checkParts(parts: readonly string[], style: 'windows' | 'posix'): string | null {
  for (const p of parts) {
    const problem = pathPartProblem(p, style);
    if (problem) return problem;
  }
  return null;
}

/**
 * Reads a QR path base as the operator wrote it: `relative`, a drive letter (`Z:\SilverFox\orders`,
 * `Z:/SilverFox/orders`, `Z:`), a UNC share (`\\fileserver\orders`) or an absolute POSIX path
 * (`/Volumes/Orders`). Anything else, or a part no Windows or macOS path can hold, is a problem.
 */
export function parseQrPathBase(text: string): QrPathBaseResult {
  const t = text.trim();
  const fail = (problem: string): QrPathBaseResult => ({ ok: false, problem });
  if (t === '') return fail('it is empty');
  if (t.toLowerCase() === RELATIVE_KEYWORD) return { ok: true, base: RELATIVE_QR_PATHS };
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\x00-\x1f\x7f]/.test(t))
    return fail(
      `"${printable(t)}" holds a control character (in a double-quoted .env value \\n is a line break: leave the quotes out or use single quotes)`,
    );
  if (/^["']|["']$/.test(t)) return fail('remove the quotes around it');
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(t))
    return fail("it is a URL; write the path as the designers' computers show it");
  if (t.startsWith('~')) return fail('"~" is not expanded here; write the full path');

  // Windows: drive letter or UNC. Both separators are accepted and written as backslashes.
  const drive = /^([A-Za-z]):(.*)$/s.exec(t);
  if (drive) {
    const rest = drive[2]!;
    if (rest !== '' && !/^[\\/]/.test(rest))
      return fail(`"${t}" is relative to the current folder of drive ${drive[1]}:; write ${drive[1]}:\\...`);
    const parts = rest.split(/[\\/]+/).filter((p) => p !== '');
    const problem = checkParts(parts, 'windows');
    if (problem) return fail(problem);
    const root = `${drive[1]!.toUpperCase()}:\\`;
    return { ok: true, base: { style: 'windows', base: root + parts.join('\\') } };
  }
  if (t.startsWith('\\\\')) {
    if (/^\\\\[?.]\\/.test(t)) return fail('device paths (\\\\?\\ and \\\\.\\) are not supported');
    const parts = t
      .slice(2)
      .split(/[\\/]+/)
      .filter((p) => p !== '');
    if (parts.length < 2) return fail(`a UNC base needs a server and a share: \\\\server\\share`);
    const problem = checkParts(parts, 'windows');
    if (problem) return fail(problem);
    return { ok: true, base: { style: 'windows', base: `\\\\${parts.join('\\')}` } };
  }
  if (t.startsWith('/')) {
    if (t.startsWith('//'))
      return fail('"//" at the start is ambiguous; for a Windows share write \\\\server\\share');
    const parts = t.split('/').filter((p) => p !== '');
    const problem = checkParts(parts, 'posix');
    if (problem) return fail(problem);
    return { ok: true, base: { style: 'posix', base: `/${parts.join('/')}` } };
  }
  if (t.includes('\\'))
    return fail(`"${t}" is not absolute: start with a drive letter (Z:\\...) or \\\\server\\share`);
  return fail(`"${t}" is not absolute: start with / (macOS, Linux), a drive letter or \\\\server\\share`);
}

/** The forms a base can take, for error hints. */
export const QR_PATH_BASE_FORMS =
  'Use a drive letter (Z:\\SilverFox\\orders), a UNC share (\\\\fileserver\\orders), an absolute POSIX path (/Volumes/Orders) or "relative".';

/**
 * The base of orders written with SILVERFOX_QR_PATH_BASE = `setting` (undefined: unset) into the
 * absolute folder `ordersDir`: the setting, or else the orders folder itself.
 */
export function qrPathsFor(
  setting: string | undefined,
  ordersDir: string,
): QrPathBaseResult & {
  source: QrPathSource;
} {
  if (setting !== undefined && setting.trim() !== '')
    return { ...parseQrPathBase(setting), source: 'setting' };
  return { ...parseQrPathBase(ordersDir), source: 'local' };
}

/**
 * The `@` cell of a vehicle's QR code in the order folder `folderName`: the PNG's path as the
 * designers see it from `base`. The folder and file keep their exact spelling.
 */
export function qrCellPath(base: QrPathBase, folderName: string, vin: string): string {
  const rel = qrFilePath(vin);
  if (base.style === 'relative') return rel;
  const parts = [folderName, ...rel.split('/')];
  const problem = checkParts(parts, base.style);
  // Folder names come from slugs and VINs are checked before an order is written: a bug if not.
  if (problem) throw new Error(`cannot write a QR path for ${folderName}/${rel}: ${problem}`);
  const sep = base.style === 'windows' ? '\\' : '/';
  return (base.base.endsWith(sep) ? base.base : base.base + sep) + parts.join(sep);
}

/**
 * The QR file (`qr_codes/<VIN>.png`, relative to the order folder) an `@` cell names, whatever its
 * base: its last two parts, separated by `/` or `\`. Null when the cell names no such file.
 */
export function qrFileOfCell(cell: string): string | null {
  const parts = cell.split(/[\\/]/);
  const file = parts.pop();
  const dir = parts.pop();
  if (dir === undefined || file === undefined || !/\.png$/i.test(file)) return null;
  return qrFilePath(file.slice(0, -4)) === `${dir}/${file}` ? `${dir}/${file}` : null;
}

/** One line saying what the cells look like, e.g. `Z:\SilverFox\orders\<folder>\qr_codes\<VIN>.png`. */
export function describeQrPaths(base: QrPathBase, folderName = '<folder>'): string {
  if (base.style === 'relative') return 'qr_codes/<VIN>.png (relative to the CSV)';
  const sep = base.style === 'windows' ? '\\' : '/';
  return `${base.base.endsWith(sep) ? base.base : base.base + sep}${folderName}${sep}qr_codes${sep}<VIN>.png`;
}

/** Whether two bases write the same cells. */
export function sameQrPathBase(a: QrPathBase, b: QrPathBase): boolean {
  return a.style === b.style && a.base === b.base;
}
