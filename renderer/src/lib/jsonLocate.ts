/**
 * Where a field is in JSON text: the line of the value a path names
 * (`workflow.tasks.1.condition` → the line of that condition), so that an
 * error can point into the editor. A small scanner that follows the path and
 * skips everything else; it stops at the deepest part of the path it finds
 * (a missing key points at its object) and gives up on text that is not JSON.
 */

const WS = /\s/;

class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  ws(): void {
    while (this.i < this.text.length && WS.test(this.text[this.i]!)) this.i++;
  }

  /** Reads a string at i (which is a quote); returns its value. */
  string(): string {
    let out = '';
    this.i++;
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const next = this.text[this.i + 1];
        if (next === 'u') {
          out += String.fromCharCode(parseInt(this.text.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          out += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
          this.i += 2;
        }
        continue;
      }
      out += c;
      this.i++;
    }
    throw new Error('unterminated string');
  }

  /** Skips the value at i. */
  skip(): void {
    this.ws();
    const c = this.text[this.i];
    if (c === '"') return void this.string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      this.i++;
      for (;;) {
        this.ws();
        if (this.text[this.i] === close) {
          this.i++;
          return;
        }
        if (c === '{') {
          if (this.text[this.i] !== '"') throw new Error('expected a key');
          this.string();
          this.ws();
          if (this.text[this.i++] !== ':') throw new Error('expected :');
        }
        this.skip();
        this.ws();
        if (this.text[this.i] === ',') this.i++;
        else if (this.text[this.i] !== close) throw new Error('expected , or end');
      }
    }
    const start = this.i;
    while (this.i < this.text.length && !/[\s,}\]]/.test(this.text[this.i]!)) this.i++;
    if (this.i === start) throw new Error('expected a value');
  }

  /** Follows the path from the value at i; returns the offset of the deepest value found. */
  follow(path: readonly (string | number)[]): number {
    this.ws();
    const here = this.i;
    if (path.length === 0) return here;
    const [head, ...rest] = path;
    const c = this.text[this.i];
    if (c === '{' && typeof head === 'string') {
      this.i++;
      for (;;) {
        this.ws();
        if (this.text[this.i] !== '"') return here;
        const keyAt = this.i;
        const key = this.string();
        this.ws();
        if (this.text[this.i++] !== ':') return here;
        if (key === head) return rest.length ? this.follow(rest) : keyAt;
        this.skip();
        this.ws();
        if (this.text[this.i] !== ',') return here;
        this.i++;
      }
    }
    if (c === '[' && typeof head === 'number') {
      this.i++;
      for (let n = 0; ; n++) {
        this.ws();
        if (this.text[this.i] === ']') return here;
        if (n === head) return this.follow(rest);
        this.skip();
        this.ws();
        if (this.text[this.i] !== ',') return here;
        this.i++;
      }
    }
    return here;
  }
}

/** The offset in `text` of the value (or key) a path names, or of its deepest part present; null when the text is not JSON. */
export function locateJsonPath(text: string, path: readonly (string | number)[]): number | null {
  try {
    return new Scanner(text).follow(path);
  } catch {
    return null;
  }
}

/** 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The line a field path of a workflow points at (`workflow.tasks.1.condition`), or of a JSON syntax error's position. */
export function workflowErrorLine(text: string, field: string, message = ''): number | null {
  const position = /at position (\d+)/.exec(message);
  if (position) return lineOf(text, Number(position[1]));
  const parts = field.split('.');
  if (parts[0] !== 'workflow' || parts.length < 2) return null;
  const path = parts.slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const offset = locateJsonPath(text, path);
  return offset === null ? null : lineOf(text, offset);
}
