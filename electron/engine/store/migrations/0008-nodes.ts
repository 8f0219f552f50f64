/**
 * The processes that serve a store (nodes) and the chores one of them does at
 * a time. A node registers as it starts, renews its heartbeat, and is
 * declared lost once its heartbeat is older than its lease (its runs are then
 * interrupted). A chore (retention, follow-ups) is held by one node at a time
 * through a lease row. Times come from the database's own clock.
 */
export const name = '0008-nodes';

export const sql = `
CREATE TABLE nodes (
  id            TEXT PRIMARY KEY,
  address       TEXT NOT NULL,
  version       TEXT NOT NULL,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  lease_ms      INTEGER NOT NULL,
  draining      INTEGER NOT NULL DEFAULT 0,
  lost_at       INTEGER,
  stopped_at    INTEGER
);

CREATE TABLE chores (
  name    TEXT PRIMARY KEY,
  owner   TEXT NOT NULL,
  until   INTEGER NOT NULL
);
`;
