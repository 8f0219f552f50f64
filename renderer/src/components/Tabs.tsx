/**
 * A tab list after the WAI-ARIA tabs pattern: one tab in the Tab order (the
 * selected one), arrow keys, Home and End move between tabs and select them.
 * The caller renders the selected panel with `tabPanelProps`.
 */
import type { KeyboardEvent } from 'react';

export interface TabItem<K extends string> {
  key: K;
  label: string;
}

const tabId = (base: string, key: string) => `${base}-tab-${key}`;
const panelId = (base: string, key: string) => `${base}-panel-${key}`;

/** `onSelect`'s `byKeyboard`: moved to with arrows, Home or End (callers may keep such moves out of the history). */
export function Tabs<K extends string>({ base, label, tabs, selected, onSelect }: { base: string; label: string; tabs: readonly TabItem<K>[]; selected: K; onSelect: (key: K, byKeyboard: boolean) => void }) {
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = tabs.findIndex((t) => t.key === selected);
    const to =
      e.key === 'ArrowRight' ? (at + 1) % tabs.length : e.key === 'ArrowLeft' ? (at - 1 + tabs.length) % tabs.length : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    const next = tabs[to]!.key;
    onSelect(next, true);
    // The tab is there already (only its selection changes), so focus moves now.
    document.getElementById(tabId(base, next))?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className="tabs" onKeyDown={onKey}>
      {tabs.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          id={tabId(base, t.key)}
          aria-selected={t.key === selected}
          // Only the selected tab's panel exists, so only it names one.
          aria-controls={t.key === selected ? panelId(base, t.key) : undefined}
          tabIndex={t.key === selected ? 0 : -1}
          onClick={() => onSelect(t.key, false)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function tabPanelProps(base: string, key: string) {
  return { role: 'tabpanel', id: panelId(base, key), 'aria-labelledby': tabId(base, key), tabIndex: 0 } as const;
}
