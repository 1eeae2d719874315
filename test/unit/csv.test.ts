import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, formatCsv, toAsciiText } from '../../src/output/csv.js';

describe('CSV for InDesign Data Merge', () => {
  it.each([
    ['Citroën C3', 'Citroen C3'],
    ['Škoda Octavia – 2.0 TSI', 'Skoda Octavia - 2.0 TSI'],
    ['“Loaded” ‘Sport’ …', '"Loaded" \'Sport\' ...'],
    ['Mercedes‑Benz GLE 350 4MATIC®', 'Mercedes-Benz GLE 350 4MATIC(R)'],
    ['Straße', 'Strasse'],
    ['\u00a0non-breaking\u2003spaces', ' non-breaking spaces'],
    ['line\r\nbreak\ttab', 'line  break tab'],
    ['—', '-'],
    ['車 🚗', '? ?'],
    ['ﬁ ① ™', 'fi 1 TM'],
  ])('%j is written as %j', (text, ascii) => {
    expect(toAsciiText(text)).toBe(ascii);
    expect(/^[\x20-\x7e]*$/.test(toAsciiText(text))).toBe(true);
  });

  it('quotes per RFC 4180 only when needed', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('')).toBe('');
  });

  it('neutralizes formulas after the ASCII step, but never in the header', () => {
    expect(csvRecord(['＝1+1', '+1', '-2', '@x'])).toBe("'=1+1,'+1,-2,'@x");
    expect(csvRecord(['\t=1'])).toBe("' =1");
    expect(csvRecord(['@QR', '@QR2'], { header: true })).toBe('@QR,@QR2');
  });

  it('ends every record with CRLF, writes no BOM, and pads sections when asked', () => {
    const text = formatCsv(['A', '@B'], [['1', 'x,y'], ['2']]);
    expect(text).toBe('A,@B\r\n1,"x,y"\r\n2\r\n');
    expect(text.charCodeAt(0)).toBe(0x41);
    expect(formatCsv(null, [['Title', 'x'], [], ['a', 'b', 'c']], { pad: true })).toBe(
      'Title,x,\r\n,,\r\na,b,c\r\n',
    );
  });
});
