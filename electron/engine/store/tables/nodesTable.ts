/**
 * Statements on nodes (the processes serving a store) and chores, for both
 * backends. Every time here is the database's own clock, so nodes whose
 * clocks disagree still agree on who is late.
 */
import { all, get, run, sql, type Work } from '../work';

export interface NodeRow {
  id: string;
  address: string;
  version: string;
  host: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
  lease_ms: number;
  draining: number;
  lost_at: number | null;
  stopped_at: number | null;
  /** The SHA-256 fingerprint of the certificate it serves HTTPS with (other nodes pin it), or null. */
  cert_sha256: string | null;
  /** Its data folder (absolute), on `host`: where its runs' folders are. */
  data_dir: string | null;
}

export interface NewNode {
  id: string;
  address: string;
  version: string;
  host: string;
  pid: number;
  leaseMs: number;
  certSha256?: string | null;
  dataDir?: string | null;
}

/** The database's clock in ms: SQLite's (this machine's), PostgreSQL's server's. */
const NOW = { sqlite: "CAST(unixepoch('subsec') * 1000 AS INTEGER)", pg: '(extract(epoch from clock_timestamp()) * 1000)::bigint' };
const both = (text: (now: string) => string) => sql(text(NOW.sqlite), text(NOW.pg));

const DB_NOW = both((now) => `SELECT ${now} AS now`);
const REGISTER = both(
  (now) => `INSERT INTO nodes (id, address, version, host, pid, started_at, heartbeat_at, lease_ms, cert_sha256, data_dir) VALUES (?, ?, ?, ?, ?, ${now}, ${now}, ?, ?, ?)`,
);
const HEARTBEAT = both((now) => `UPDATE nodes SET heartbeat_at = ${now} WHERE id = ? AND lost_at IS NULL AND stopped_at IS NULL`);
const BY_ID = sql('SELECT * FROM nodes WHERE id = ?');
// Only a node that serves HTTP can give its files to others (not a desktop app or a jobdeck run on the same folder).
const LIVE_ON_FOLDER = sql(
  `SELECT * FROM nodes WHERE host = ? AND data_dir = ? AND lost_at IS NULL AND stopped_at IS NULL AND (address LIKE 'http://%' OR address LIKE 'https://%')
    ORDER BY started_at DESC, id LIMIT 1`,
);
const LIST = sql('SELECT * FROM nodes ORDER BY started_at, id');
// PostgreSQL: a node being reaped by another is skipped, not waited for.
const EXPIRED = sql(
  `SELECT * FROM nodes WHERE lost_at IS NULL AND stopped_at IS NULL AND heartbeat_at + lease_ms < ${NOW.sqlite} ORDER BY id`,
  `SELECT * FROM nodes WHERE lost_at IS NULL AND stopped_at IS NULL AND heartbeat_at + lease_ms < ${NOW.pg} ORDER BY id FOR UPDATE SKIP LOCKED`,
);
const MARK_LOST = both((now) => `UPDATE nodes SET lost_at = ${now} WHERE id = ? AND lost_at IS NULL AND stopped_at IS NULL`);
const SET_DRAINING = sql('UPDATE nodes SET draining = ? WHERE id = ? AND lost_at IS NULL AND stopped_at IS NULL');
const STOP = both((now) => `UPDATE nodes SET stopped_at = ${now} WHERE id = ? AND stopped_at IS NULL`);
/** Taken when free, expired, or already this owner's (a renewal). */
const CLAIM_CHORE = both(
  (now) => `INSERT INTO chores (name, owner, until) VALUES (?, ?, ${now} + ?)
    ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until
    WHERE chores.owner = excluded.owner OR chores.until < ${now}`,
);
const RELEASE_CHORE = sql('DELETE FROM chores WHERE name = ? AND owner = ?');
const IN_PROGRESS_BY_NODE = sql("SELECT owner, COUNT(*) AS n FROM runs WHERE status = 'IN_PROGRESS' GROUP BY owner");
const FORGET = both((now) => `DELETE FROM nodes WHERE COALESCE(stopped_at, lost_at) < ${now} - ?`);

export const nodesTable = {
  *now(): Work<number> {
    return (yield* get<{ now: number }>(DB_NOW))!.now;
  },

  *register(n: NewNode): Work<void> {
    yield* run(REGISTER, n.id, n.address, n.version, n.host, n.pid, n.leaseMs, n.certSha256 ?? null, n.dataDir ?? null);
  },

  /** Renews a node's heartbeat; false when it was declared lost or stopped (or never registered). */
  *heartbeat(id: string): Work<boolean> {
    return (yield* run(HEARTBEAT, id)) === 1;
  },

  get(id: string): Work<NodeRow | undefined> {
    return get<NodeRow>(BY_ID, id);
  },

  /** The live node serving HTTP (the latest started) on a data folder of a host, if any. */
  liveOnFolder(host: string, dataDir: string): Work<NodeRow | undefined> {
    return get<NodeRow>(LIVE_ON_FOLDER, host, dataDir);
  },

  list(): Work<NodeRow[]> {
    return all<NodeRow>(LIST);
  },

  /** Nodes whose lease ran out and that are not yet declared lost (locked for the caller on PostgreSQL). */
  expired(): Work<NodeRow[]> {
    return all<NodeRow>(EXPIRED);
  },

  *markLost(id: string): Work<boolean> {
    return (yield* run(MARK_LOST, id)) === 1;
  },

  *setDraining(id: string, draining: boolean): Work<boolean> {
    return (yield* run(SET_DRAINING, draining ? 1 : 0, id)) === 1;
  },

  *stop(id: string): Work<void> {
    yield* run(STOP, id);
  },

  /** Takes or renews a chore for `leaseMs`; false while another owner holds it. */
  *claimChore(name: string, owner: string, leaseMs: number): Work<boolean> {
    return (yield* run(CLAIM_CHORE, name, owner, leaseMs)) === 1;
  },

  *releaseChore(name: string, owner: string): Work<void> {
    yield* run(RELEASE_CHORE, name, owner);
  },

  /** Runs in progress by the node (owner) executing them. */
  *runsInProgress(): Work<Map<string, number>> {
    return new Map((yield* all<{ owner: string; n: number }>(IN_PROGRESS_BY_NODE)).map((r) => [r.owner, Number(r.n)]));
  },

  /** Forgets nodes that stopped or were declared lost longer than `ageMs` ago; returns how many. */
  forget(ageMs: number): Work<number> {
    return run(FORGET, ageMs);
  },
};
