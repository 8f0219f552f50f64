/**
 * The nodes' event channel on PostgreSQL: LISTEN/NOTIFY on one channel. A
 * node says which runs changed (after the change is committed); the others
 * read those runs from the database and tell their own subscribers, so a
 * console connected to any node sees every node's runs live. The listening
 * connection is one of its own, opened again after a break (with a growing
 * pause, at most 10 s) until the store closes.
 */
import type pg from 'pg';
import { connectPostgres } from './pgDatabase';

export const EVENTS_CHANNEL = 'jobdeck_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7900;

export class PgEvents {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 250;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
  ) {}

  /** Sends a payload to every listening node (this one too). */
  async publish(payload: string): Promise<void> {
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) throw new RangeError(`an event payload of ${Buffer.byteLength(payload)} bytes is over PostgreSQL's limit`);
    await this.pool.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, payload]);
  }

  /**
   * Calls `onPayload` with every payload published from now on; `onGap`
   * after the connection broke and was opened again (payloads sent
   * meanwhile are lost: listeners read what they need afresh).
   */
  async listen(onPayload: (payload: string) => void, onGap: () => void, onProblem: (message: string) => void): Promise<void> {
    const connect = async (): Promise<void> => {
      if (this.closed) return;
      try {
        const client = await connectPostgres(this.url, { applicationName: 'jobdeck events' });
        client.on('notification', (msg) => {
          if (msg.channel === EVENTS_CHANNEL && msg.payload !== undefined) onPayload(msg.payload);
        });
        const broken = () => {
          if (this.client !== client) return;
          this.client = null;
          void client.end().catch(() => {});
          if (!this.closed) again(`the event connection to the database broke`);
        };
        client.on('error', broken);
        client.on('end', broken);
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
        if (this.closed) {
          await client.end().catch(() => {});
          return;
        }
        this.client = client;
        if (this.retryMs > 250) onGap();
        this.retryMs = 250;
      } catch (err) {
        again(`cannot listen for other nodes' events: ${(err as Error).message}`);
      }
    };
    const again = (why: string): void => {
      if (this.closed || this.timer) return;
      onProblem(`${why}; trying again in ${this.retryMs} ms`);
      this.timer = setTimeout(() => {
        this.timer = null;
        void connect();
      }, this.retryMs);
      this.timer.unref();
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
    await connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
