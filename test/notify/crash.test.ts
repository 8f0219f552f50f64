/**
 * Nothing lost, nothing doubled across a kill -9: an engine dies while its
 * SMTP server stalls in the middle of delivering an alert; the next engine
 * takes the message over once the dead one's lease runs out and delivers it
 * exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { openEngine, until } from '../helpers/engine';
import { killChild, startEngineChild } from '../helpers/engineChild';
import { startSmtp, stopAllSmtp } from '../helpers/smtp';
import { tempDir } from '../helpers/temp';

afterEach(stopAllSmtp);

describe('notifications across a crash', () => {
  it('delivers an alert once after the engine sending it was killed mid-delivery', async () => {
    const stalled = await startSmtp({ stall: true });
    const dataDir = tempDir();
    const { child, info } = await startEngineChild(dataDir, 'notify', { ...process.env, JOBDECK_SMTP_URL: stalled.url });
    // Its sender holds the message (leased) while the server stalls: kill it there.
    const clock = new ManualClock(Date.now());
    const { client } = openEngine({ dataDir, scheduler: false, clock, notifyPollMs: 50, env: {} });
    await until(async () => (await client.call('notify.deliveries', { runId: info.runId }))[0]?.status === 'sending', 15_000);
    await killChild(child);
    await stalled.stop();

    const good = await startSmtp();
    await client.call('notify.configure', { smtp: { url: good.url, from: 'jobdeck@example.test' } });
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(good.mails).toHaveLength(0);
    // The dead sender's lease (2 minutes) runs out: this engine takes the message over.
    clock.advance(70_000);
    await until(() => good.mails.length === 1, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(good.mails).toHaveLength(1);
    expect(good.mails[0]!.subject).toBe(`[Jobdeck] alerting failed (run ${info.runId})`);
    expect(await client.call('notify.deliveries', { runId: info.runId })).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });
});
