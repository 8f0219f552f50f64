/** Nodes and chores (see the SQLite store's migration 0008-nodes). Released migrations are never edited. */
export const name = '0002-nodes';

export const sql = `
CREATE TABLE nodes (
  id            TEXT PRIMARY KEY,
  address       TEXT NOT NULL,
  version       TEXT NOT NULL,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  started_at    BIGINT NOT NULL,
  heartbeat_at  BIGINT NOT NULL,
  lease_ms      BIGINT NOT NULL,
  draining      INTEGER NOT NULL DEFAULT 0,
  lost_at       BIGINT,
  stopped_at    BIGINT
);

CREATE TABLE chores (
  name    TEXT PRIMARY KEY,
  owner   TEXT NOT NULL,
  until   BIGINT NOT NULL
);
`;
