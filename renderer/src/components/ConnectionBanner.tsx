/**
 * Says so the moment the live feed to the engine is lost: since when, when
 * it tries again (with a button to try now), and that what the screens show
 * is as of then (they are greyed until the feed is back and they are read
 * again).
 */
import { formatTime } from '../lib/format';
import { useConnectionStore } from '../stores/connectionStore';
import { useTick } from './common';

export function ConnectionBanner() {
  const live = useConnectionStore((s) => s.live);
  const lostAt = useConnectionStore((s) => s.lostAt);
  // The countdown ticks only while the banner is shown.
  return live === 'closed' && lostAt !== null ? <LostBanner lostAt={lostAt} /> : null;
}

function LostBanner({ lostAt }: { lostAt: number }) {
  const retryAt = useConnectionStore((s) => s.retryAt);
  const target = useConnectionStore((s) => s.target);
  const error = useConnectionStore((s) => s.error);
  const now = useTick(500);
  const where = target === 'this server' ? location.host : target;
  const retryIn = retryAt === null ? null : Math.max(0, Math.ceil((retryAt - now) / 1000));
  return (
    <div className="conn-banner" role="alert" data-testid="connection-banner">
      <strong>Connection to {where} lost</strong>
      <span>
        {retryIn === null || retryIn === 0 ? 'Reconnecting…' : `Trying again in ${retryIn} s.`} What you see is as of{' '}
        {formatTime(new Date(lostAt).toISOString())} and greyed until it is back.
      </span>
      {error && <span className="muted small">({error})</span>}
      <button type="button" className="btn small" onClick={() => useConnectionStore.getState().retryNow()}>
        Retry now
      </button>
    </div>
  );
}
