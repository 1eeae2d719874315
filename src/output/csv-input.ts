/**
 * Streaming CSV input for imports: bytes (gzip detected by its magic number) -> text (UTF-8 with
 * or without BOM; a first chunk that is not UTF-8 is read as Windows-1252) -> rows, a chunk at a
 * time, each row with the line it starts on. Delimiter (`,` `;` tab `|`) and line ending (CRLF,
 * LF, CR) are detected from the header line.
 *
 * Pull-based: the next bytes are read only when the caller asks for the next chunk, so memory
 * stays flat behind a slow database (no stream buffering, no pause/resume: TOOLCHAIN.md's papaparse
 * trap). Rows are arrays of cells (core/csv-rows.ts says why it is not papaparse).
 */
import { createHash, type Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseCsvRows } from '../core/csv-rows.js';
import { InputError, unreadableFile, UsageError } from '../errors.js';

/** A quoted field running on for longer than this is a missing closing quote, not data. */
const MAX_ROW_CHARS = 16 * 1024 * 1024;

export interface CsvChunk {
  /** Data rows (arrays of cell text). */
  rows: string[][];
  /** The line each row starts on (the header is line 1 unless blank lines precede it). */
  lines: number[];
  /** Per row, why it cannot be read (wrong number of fields, bad quotes); undefined when fine. */
  problems: (string | undefined)[] | null;
  /** Per row, true when it had quotes: only such cells can hold quotes, delimiters or line breaks. */
  quoted: boolean[] | null;
  /**
   * True when the cells of rows without quotes hold no comma, quote or carriage return (a comma
   * file without stray CRs): such cells can be copied into COPY text without escaping.
   */
  plain: boolean;
  /** Bytes read from the input so far (compressed bytes for gzip). */
  bytesRead: number;
}

export interface CsvStream {
  header: string[];
  headerLine: number;
  delimiter: string;
  newline: '\n' | '\r\n' | '\r';
  encoding: 'utf-8' | 'windows-1252';
  gzip: boolean;
  /** The data rows, a chunk at a time. */
  chunks: AsyncGenerator<CsvChunk>;
  /** sha256 of the bytes read (complete once `chunks` is done). */
  sha256(): string;
}

async function* gunzipped(first: Buffer, rest: AsyncIterator<Buffer>, file: string): AsyncGenerator<Buffer> {
  async function* all() {
    yield first;
    for (;;) {
      const n = await rest.next();
      if (n.done) return;
      yield n.value;
    }
  }
  const gunzip = createGunzip();
  const out = pipeline(all(), gunzip, () => {});
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw new InputError(`${file}: not a readable gzip file: ${(err as Error).message}`, {
      file,
      hints: ['Check the file is complete (a download cut short), or give the uncompressed CSV.'],
    });
  }
}

/**
 * The first non-blank line of `buffer` when its line break has arrived (a lone CR at the very end
 * may be half of a CRLF), else null. A linear scan: the regex this replaces backtracked
 * quadratically on a long header with no line break yet (a million columns took hours).
 */
function firstCompleteLine(buffer: string): string | null {
  const breaks = /\r\n|\n|\r/g;
  let start = 0;
  for (let m = breaks.exec(buffer); m !== null; m = breaks.exec(buffer)) {
    const lineText = buffer.slice(start, m.index);
    if (lineText.trim() !== '') return m[0] === '\r' && breaks.lastIndex === buffer.length ? null : lineText;
    start = breaks.lastIndex;
  }
  return null;
}

function guessDelimiter(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    const n = headerLine.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

function guessNewline(text: string): '\n' | '\r\n' | '\r' {
  const lf = text.indexOf('\n');
  if (lf > 0 && text[lf - 1] === '\r') return '\r\n';
  if (lf >= 0) return '\n';
  return text.includes('\r') ? '\r' : '\n';
}

/**
 * Opens a CSV byte stream: reads up to the header row and returns it with a generator of the
 * data rows. `file` names the input in messages.
 */
/** The input's bytes as stored, hashed and counted, and as plain text bytes (gunzipped when gzip). */
interface ByteSource {
  gzip: boolean;
  plain: AsyncIterator<Buffer>;
  hash: Hash;
  /** Bytes read so far (compressed bytes for gzip). */
  counted: { bytes: number };
}

/** Step 1: reads the first bytes (an empty file is an error) and sets up hashing and gunzip. */
async function openBytes(bytes: AsyncIterable<Buffer>, file: string): Promise<ByteSource> {
  const hash: Hash = createHash('sha256');
  const counted = { bytes: 0 };
  const source = bytes[Symbol.asyncIterator]();
  let firstRaw: IteratorResult<Buffer>;
  try {
    firstRaw = await source.next();
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  if (firstRaw.done || firstRaw.value.length === 0) {
    throw new InputError(`${file} is empty`, {
      file,
      hints: ['An inventory CSV needs a header row and rows.'],
    });
  }
  const first = firstRaw.value;
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  // Hash and count the bytes as stored (compressed for gzip), whatever the decoding.
  const rest: AsyncIterator<Buffer> = {
    async next() {
      const n = await source.next();
      if (!n.done) {
        hash.update(n.value);
        counted.bytes += n.value.length;
      }
      return n;
    },
  };
  hash.update(first);
  counted.bytes += first.length;
  const plain: AsyncIterator<Buffer> = gzip
    ? gunzipped(first, rest, file)
    : (async function* () {
        yield first;
        for (;;) {
          const n = await rest.next();
          if (n.done) return;
          yield n.value;
        }
      })();
  return { gzip, plain, hash, counted };
}

/** Step 2: refuses text silverfox cannot read (UTF-16, binary data) by its first bytes. */
function checkTextStart(head: Buffer, file: string): void {
  const nul = head.indexOf(0);
  // Excel's "Unicode Text" and some exports are UTF-16: text, but every other byte is zero.
  const bom16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  const zeroEveryOther = (at: 0 | 1) =>
    head.length >= 4 && head[at] === 0 && head[at + 2] === 0 && head[1 - at] !== 0;
  const utf16 = bom16 || zeroEveryOther(1) || zeroEveryOther(0);
  if (utf16) {
    throw new InputError(`${file} is UTF-16 text; silverfox reads UTF-8 (or Windows-1252) CSV`, {
      file,
      hints: [
        'Save it again as "CSV UTF-8 (comma delimited)" (Excel) or convert it: iconv -f UTF-16 -t UTF-8.',
      ],
    });
  }
  if (nul >= 0) {
    throw new InputError(
      `${file} is not a CSV text file: it holds binary data (a zero byte at offset ${nul})`,
      {
        file,
        hints: ['Export the inventory as CSV (comma, semicolon or tab separated), optionally gzipped.'],
      },
    );
  }
}

/**
 * Step 3: the plain bytes as text, UTF-8 unless the first chunk is not (then Windows-1252
 * throughout). Text can be put back (`unshift`) to be read again.
 */
class TextSource {
  private pending: string | null;
  private done = false;

  private constructor(
    private readonly plain: AsyncIterator<Buffer>,
    private readonly decoder: InstanceType<typeof TextDecoder>,
    readonly encoding: CsvStream['encoding'],
    first: string,
    private readonly file: string,
  ) {
    this.pending = first;
  }

  static async open(plain: AsyncIterator<Buffer>, file: string): Promise<TextSource> {
    const firstPlain = await plain.next();
    if (firstPlain.done || firstPlain.value.length === 0) {
      throw new InputError(`${file} is empty`, { file });
    }
    const head = firstPlain.value;
    checkTextStart(head, file);
    try {
      const decoder = new TextDecoder('utf-8', { fatal: true });
      return new TextSource(plain, decoder, 'utf-8', decoder.decode(head, { stream: true }), file);
    } catch {
      const decoder = new TextDecoder('windows-1252');
      return new TextSource(plain, decoder, 'windows-1252', decoder.decode(head, { stream: true }), file);
    }
  }

  /** The next piece of text; null at the end. */
  async next(): Promise<string | null> {
    if (this.pending !== null) {
      const t = this.pending;
      this.pending = null;
      return t;
    }
    if (this.done) return null;
    const n = await this.plain.next();
    if (n.done) {
      this.done = true;
      const tail = this.decoder.decode();
      return tail === '' ? null : tail;
    }
    try {
      return this.decoder.decode(n.value, { stream: true });
    } catch (err) {
      throw new InputError(`${this.file} is not valid UTF-8 past its start: ${(err as Error).message}`, {
        file: this.file,
        hints: ['Save the file as UTF-8 (or Windows-1252 throughout) and import it again.'],
      });
    }
  }

  /** Puts `text` back: the next `next()` returns it (only one piece, before reading on). */
  unshift(text: string): void {
    this.pending = text;
  }
}

/**
 * Step 4: reads until the first non-blank line is complete, which tells the delimiter and the line
 * ending; what was read is put back for the rows.
 */
async function readDialect(
  text: TextSource,
  file: string,
): Promise<{ delimiter: string; newline: CsvStream['newline'] }> {
  let buffer = '';
  let headerText: string | null;
  for (;;) {
    const t = await text.next();
    if (t === null) {
      headerText = buffer.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? null;
      break;
    }
    buffer += t;
    const found = firstCompleteLine(buffer);
    if (found !== null) {
      headerText = found;
      break;
    }
    if (buffer.length > MAX_ROW_CHARS) {
      throw new InputError(
        `${file}: no line break in the first ${MAX_ROW_CHARS / 1024 / 1024} MB; this is not a CSV file`,
        {
          file,
        },
      );
    }
  }
  if (headerText === null) {
    throw new InputError(`${file} has no header row (only blank lines)`, { file });
  }
  text.unshift(buffer);
  return { delimiter: guessDelimiter(headerText), newline: guessNewline(buffer) };
}

/** Rows of one parsed piece of text, blank lines left out. */
interface Parsed {
  rows: string[][];
  lines: number[];
  bad: Map<number, string> | null;
  quoted: boolean[] | null;
  plain: boolean;
}

/** Step 5: every row in file order with its line, blank lines left out; the header is the first row. */
async function* parsedRows(
  text: TextSource,
  delimiter: string,
  newline: CsvStream['newline'],
  file: string,
): AsyncGenerator<Parsed> {
  let line = 1;
  let partial = '';
  let eof = false;
  while (!eof) {
    const t = await text.next();
    if (t === null) eof = true;
    const aggregate = t === null ? partial : partial + t;
    if (aggregate === '') return;
    if (aggregate.indexOf('\u0000') >= 0) {
      throw new InputError(
        `${file} holds binary data (a zero byte) after line ${line}; it is not a CSV text file`,
        {
          file,
          line,
        },
      );
    }
    const res = parseCsvRows(aggregate, delimiter, newline, eof);
    partial = aggregate.slice(res.consumed);
    if (partial.length > MAX_ROW_CHARS) {
      throw new InputError(
        `${file}: the row starting on line ${line} runs on for more than ${MAX_ROW_CHARS / 1024 / 1024} MB; a quoted field is probably missing its closing quote`,
        { file, line, hints: ['Fix the quote in the file and import it again; nothing was imported.'] },
      );
    }
    const data = res.rows;
    const rows: string[][] = [];
    const lines: number[] = [];
    let bad: Map<number, string> | null = null;
    let quoted: boolean[] | null = null;
    for (let i = 0; i < data.length; i++) {
      const row = data[i]!;
      const start = line;
      line += res.spans[i]!;
      const err = res.problems?.[i];
      if (err === undefined && row.length === 1 && row[0]!.trim() === '') continue;
      if (err !== undefined) (bad ??= new Map()).set(rows.length, err);
      if (res.quoted?.[i]) (quoted ??= [])[rows.length] = true;
      rows.push(row);
      lines.push(start);
    }
    yield {
      rows,
      lines,
      bad,
      quoted,
      plain: delimiter === ',' && !hasStrayCr(aggregate, res.consumed, newline),
    };
  }
}

/** Step 6: the header row (the first row read) and the data rows read with it. */
async function readHeader(
  parsed: AsyncGenerator<Parsed>,
  file: string,
): Promise<{ header: string[]; headerLine: number; firstRows: Parsed }> {
  for (;;) {
    const n = await parsed.next();
    if (n.done) throw new InputError(`${file} has no header row (only blank lines)`, { file });
    const b = n.value;
    if (b.rows.length === 0) continue;
    if (b.bad?.has(0)) {
      throw new InputError(`${file}: the header row cannot be read: ${b.bad.get(0)}`, {
        file,
        line: b.lines[0],
      });
    }
    const bad = b.bad ? new Map([...b.bad].map(([k, v]) => [k - 1, v] as [number, string])) : null;
    return {
      header: b.rows[0]!.map((h) => h.replace(/^\uFEFF/, '').trim()),
      headerLine: b.lines[0]!,
      firstRows: {
        rows: b.rows.slice(1),
        lines: b.lines.slice(1),
        bad,
        quoted: b.quoted?.slice(1) ?? null,
        plain: b.plain,
      },
    };
  }
}

/** Step 7: a chunk of data rows, each row with the wrong number of fields marked. */
function toChunk(b: Parsed, fields: number, bytesRead: number): CsvChunk {
  let problems: (string | undefined)[] | null = null;
  for (let i = 0; i < b.rows.length; i++) {
    let problem = b.bad?.get(i);
    if (problem === undefined && b.rows[i]!.length !== fields) {
      problem = `expected ${fields} fields like the header, found ${b.rows[i]!.length}`;
    }
    if (problem !== undefined) (problems ??= [])[i] = problem;
  }
  return { rows: b.rows, lines: b.lines, problems, quoted: b.quoted, plain: b.plain, bytesRead };
}

/**
 * Opens an inventory file's bytes as CSV: plain or gzipped, UTF-8 or Windows-1252, comma,
 * semicolon or tab separated, any line ending. Reads the header; the data rows come in chunks.
 */
export async function openCsvStream(bytes: AsyncIterable<Buffer>, file: string): Promise<CsvStream> {
  const { gzip, plain, hash, counted } = await openBytes(bytes, file);
  const text = await TextSource.open(plain, file);
  const { delimiter, newline } = await readDialect(text, file);
  const parsed = parsedRows(text, delimiter, newline, file);
  const { header, headerLine, firstRows } = await readHeader(parsed, file);
  async function* chunks(): AsyncGenerator<CsvChunk> {
    if (firstRows.rows.length > 0) yield toChunk(firstRows, header.length, counted.bytes);
    for await (const b of parsed) yield toChunk(b, header.length, counted.bytes);
  }
  return {
    header,
    headerLine,
    delimiter,
    newline,
    encoding: text.encoding,
    gzip,
    chunks: chunks(),
    sha256: () => hash.copy().digest('hex'),
  };
}

/** A carriage return that is not part of the line ending, in text[0, end). */
function hasStrayCr(text: string, end: number, newline: string): boolean {
  if (newline === '\r') return false;
  for (let i = text.indexOf('\r'); i >= 0 && i < end; i = text.indexOf('\r', i + 1)) {
    if (newline === '\n' || text.charCodeAt(i + 1) !== 10) return true;
  }
  return false;
}

/**
 * Reads a small whole-file CSV (a LIST batch, a legacy VIN log) into rows: from `text` when the
 * caller already has it (stdin), else from `file`. `what` names the command in the usage error.
 */
export function readSmallCsv(opts: { file?: string; text?: string }, what: string): string[][] {
  let text = opts.text;
  if (text === undefined) {
    if (!opts.file) throw new UsageError(`${what} needs a file (or - for stdin)`);
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw unreadableFile(opts.file, err);
    }
  }
  return Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: false }).data;
}
