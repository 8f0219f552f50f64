/**
 * A job's `warm` setting: whether its node or python3 runs may start in a
 * pre-started interpreter (on unless turned off). Jobs stored before keep
 * warm starts on, as new ones get.
 */
export const name = '0007-warm-runtimes';

export const sql = `
ALTER TABLE jobs ADD COLUMN warm INTEGER NOT NULL DEFAULT 1 CHECK (warm IN (0, 1));
`;
