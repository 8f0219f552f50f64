import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../electron/engine/runner/lineSplitter';
import { parseProtocolLine, resultNameProblem } from '../../electron/engine/runner/protocol';

describe('line splitter', () => {
  it('joins lines split across chunks, including inside a UTF-8 character', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('héllo\nwörld\n');
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
    expect(out).toEqual(['héllo', 'wörld']);
    expect(s.end()).toEqual([]);
  });

  it('keeps an unterminated last line for end(), drops CR before LF', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('a\r\nb'))).toEqual(['a']);
    expect(s.end()).toEqual(['b']);
  });

  it('cuts over-long lines at character boundaries without losing bytes', () => {
    const s = new LineSplitter(10);
    const text = 'ééééééé'; // 14 bytes
    const out = [...s.push(Buffer.from(`${text}\n`)), ...s.end()];
    expect(out.join('')).toBe(text);
    expect(out.every((l) => Buffer.byteLength(l) <= 10)).toBe(true);
    const streamed = new LineSplitter(10);
    const parts = [...streamed.push(Buffer.from('abcdefghijklmnopqrstuvwxyz')), ...streamed.end()];
    expect(parts).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz']);
  });
});

describe('script protocol', () => {
  it('reads progress, result and audit lines', () => {
    expect(parseProtocolLine('::progress 42 Copying files')).toEqual({ kind: 'progress', percent: 42, message: 'Copying files' });
    expect(parseProtocolLine('::progress 12.5%')).toEqual({ kind: 'progress', percent: 12.5, message: '' });
    expect(parseProtocolLine('::result out/report.csv')).toEqual({ kind: 'result', name: 'out/report.csv' });
    expect(parseProtocolLine('::audit changed 2 users')).toEqual({ kind: 'audit', message: 'changed 2 users' });
  });

  it('leaves ordinary output alone and flags misuse', () => {
    expect(parseProtocolLine('hello')).toBeNull();
    expect(parseProtocolLine('::other thing')).toBeNull();
    expect(parseProtocolLine('::progress lots')).toMatchObject({ kind: 'invalid' });
    expect(parseProtocolLine('::progress 101')).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('0-100') });
    expect(parseProtocolLine('::result ../../etc/passwd')).toMatchObject({ kind: 'invalid' });
    expect(parseProtocolLine('::audit')).toMatchObject({ kind: 'invalid' });
  });

  it('keeps result names inside the output folder', () => {
    expect(resultNameProblem('a.csv')).toBeNull();
    expect(resultNameProblem('sub/a.csv')).toBeNull();
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'C:\\x', '', 'a//b']) expect(resultNameProblem(bad), bad).not.toBeNull();
  });
});
