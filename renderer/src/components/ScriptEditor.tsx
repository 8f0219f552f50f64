/** The script editor: CodeMirror 6 with shell, JavaScript, Python or (a workflow) JSON highlighting (bundled, offline). */
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { json } from '@codemirror/legacy-modes/mode/javascript';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import { oneDark } from '@codemirror/theme-one-dark';
import { EditorView } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

export function languageFor(runtime: string): Extension {
  if (runtime === 'workflow') return StreamLanguage.define(json);
  if (runtime === 'node') return javascript();
  if (runtime === 'python3' || /python/.test(runtime)) return python();
  return StreamLanguage.define(shell);
}

const dark = () => typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;

/** One Dark's comments are too faint to read on its background (3.6:1); these reach 4.5:1. */
const readableDarkComments = Prec.high(
  syntaxHighlighting(HighlightStyle.define([{ tag: [tags.comment, tags.lineComment, tags.blockComment, tags.meta], color: '#a0a8b7' }])),
);

/**
 * The nonce the server's Content-Security-Policy allows for this page's
 * styles (served in a meta tag): CodeMirror puts it on its <style> element.
 */
function styleNonce(): Extension {
  const nonce = typeof document === 'undefined' ? null : document.querySelector('meta[name="jobdeck-style-nonce"]')?.getAttribute('content');
  return nonce ? EditorView.cspNonce.of(nonce) : [];
}

/** A request to put the cursor on a line (a new object each time, so the same line can be asked for twice). */
export interface GoTo {
  line: number;
}

export function ScriptEditor({
  value,
  onChange,
  runtime,
  label,
  readOnly,
  goTo,
}: {
  value: string;
  onChange?: (v: string) => void;
  runtime: string;
  label: string;
  readOnly?: boolean;
  goTo?: GoTo | null;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          styleNonce(),
          basicSetup,
          language.current.of(languageFor(runtime)),
          dark() ? [oneDark, readableDarkComments] : [],
          // Focusable by Tab even when read-only, so its scrolled text can be reached by keyboard.
          EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
          EditorState.readOnly.of(Boolean(readOnly)),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // The editor is created once; value and runtime changes are applied below.
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(languageFor(runtime)) });
  }, [runtime]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v || !goTo) return;
    const line = v.state.doc.line(Math.max(1, Math.min(goTo.line, v.state.doc.lines)));
    v.dispatch({ selection: { anchor: line.from, head: line.to }, effects: EditorView.scrollIntoView(line.from, { y: 'center' }) });
    v.focus();
  }, [goTo]);

  return <div className="cm-wrap" ref={host} data-testid="script-editor" />;
}
