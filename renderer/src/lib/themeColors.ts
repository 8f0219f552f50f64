/**
 * The theme's colours as values, for drawings that take colours as
 * attributes (charts) rather than CSS; read again when the system theme
 * changes.
 */
import { useEffect, useState } from 'react';

const NAMES = ['ok', 'fail', 'accent', 'muted', 'border', 'fg', 'panel'] as const;
export type ThemeColors = Record<(typeof NAMES)[number], string>;

function read(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  return Object.fromEntries(NAMES.map((n) => [n, style.getPropertyValue(`--${n}`).trim()])) as ThemeColors;
}

export function useThemeColors(): ThemeColors {
  const [colors, setColors] = useState(read);
  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    const update = () => setColors(read());
    media.addEventListener('change', update);
    return () => media.removeEventListener('change', update);
  }, []);
  return colors;
}
