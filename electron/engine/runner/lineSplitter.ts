/**
 * Splits a byte stream into text lines. Lines end at \n (a trailing \r is
 * dropped); bytes are decoded as UTF-8 line by line, so a character split
 * across chunks is kept whole and invalid bytes become U+FFFD. A line longer
 * than maxLineBytes is cut at a character boundary and continued on the next
 * line, so one runaway line cannot exhaust memory.
 */

const NL = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder('utf-8', { fatal: false });

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Feeds a chunk; returns the complete lines it finished. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) break;
      if (this.partBytes === 0) {
        out.push(decodeLine(chunk.subarray(start, nl), this.maxLineBytes, out));
      } else {
        this.parts.push(chunk.subarray(start, nl));
        const whole = Buffer.concat(this.parts, this.partBytes + nl - start);
        this.parts = [];
        this.partBytes = 0;
        out.push(decodeLine(whole, this.maxLineBytes, out));
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.parts.push(Buffer.from(rest));
      this.partBytes += rest.length;
      while (this.partBytes > this.maxLineBytes) {
        const whole = Buffer.concat(this.parts, this.partBytes);
        const cut = boundaryAtOrBefore(whole, this.maxLineBytes);
        out.push(decoder.decode(whole.subarray(0, cut)));
        const tail = whole.subarray(cut);
        this.parts = tail.length ? [tail] : [];
        this.partBytes = tail.length;
      }
    }
    return out;
  }

  /** The unterminated last line, if any (call when the stream ends). */
  end(): string[] {
    if (this.partBytes === 0) return [];
    const whole = Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    const out: string[] = [];
    out.push(decodeLine(whole, this.maxLineBytes, out));
    return out;
  }
}

/**
 * Decodes one line without its newline. Pieces beyond maxLineBytes are pushed
 * to `out` first; the last piece is returned.
 */
function decodeLine(bytes: Buffer, max: number, out: string[]): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end -= 1;
  let start = 0;
  while (end - start > max) {
    const cut = start + boundaryAtOrBefore(bytes.subarray(start, end), max);
    out.push(decoder.decode(bytes.subarray(start, cut)));
    start = cut;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** The largest index <= limit that does not split a UTF-8 character. */
function boundaryAtOrBefore(bytes: Buffer, limit: number): number {
  let i = Math.min(limit, bytes.length);
  // Step back over continuation bytes (10xxxxxx), at most 3.
  let steps = 0;
  while (i > 0 && i < bytes.length && steps < 3 && ((bytes[i] ?? 0) & 0xc0) === 0x80) {
    i -= 1;
    steps += 1;
  }
  return i === 0 ? Math.min(limit, bytes.length) : i;
}
