/**
 * The processes serving this store (a serve, the desktop app): where they
 * serve, since when, their last heartbeat, runs in progress and state; a
 * superadmin drains one before stopping or upgrading it, and undrains it.
 */
import { useEffect } from 'react';
import type { NodeInfo } from '../../../shared/model/misc';
import { Time } from '../components/Time';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { useNodesStore } from '../stores/nodesStore';

const STATE_TEXT: Record<NodeInfo['state'], string> = {
  alive: 'Alive',
  late: 'Late (no heartbeat within its lease)',
  lost: 'Lost (its runs were failed)',
  stopped: 'Stopped',
};

function stateOf(n: NodeInfo): string {
  if (n.state === 'alive' && n.draining) return n.runsInProgress > 0 ? 'Draining: finishing its runs' : 'Drained: safe to stop';
  return STATE_TEXT[n.state];
}

export function NodesScreen() {
  const { nodes, loaded, error, busy } = useNodesStore();
  const canDrain = useConnectionStore(connectionSelectors.can('superadmin'));
  useEffect(() => useNodesStore.getState().follow(), []);
  return (
    <section className="screen" aria-labelledby="nodes-title" data-testid="nodes-screen">
      <div className="screen-head">
        <h2 id="nodes-title">Nodes</h2>
        <p className="muted small">
          The processes serving this store. A drained node starts no queued run; its runs in progress go on. Stop or upgrade it once it has none.
        </p>
      </div>
      {error && (
        <div className="alert" role="alert">
          {error}
        </div>
      )}
      <div className="panel" style={{ overflow: 'auto' }}>
        <table className="small" style={{ width: '100%', borderCollapse: 'collapse' }} aria-busy={!loaded}>
          <thead>
            <tr style={{ textAlign: 'left' }} className="muted">
              <th style={{ padding: 8 }}>Node</th>
              <th>Address</th>
              <th>Version</th>
              <th>Host</th>
              <th>Started</th>
              <th>Last heartbeat</th>
              <th style={{ textAlign: 'right', paddingRight: 16 }}>Running</th>
              <th>State</th>
              {canDrain && <th aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id} style={{ borderTop: '1px solid var(--border)' }} data-testid={`node-${n.id}`}>
                <td style={{ padding: '6px 8px' }}>
                  <code>{n.id}</code>
                  {n.self && <span className="muted"> (this one)</span>}
                </td>
                <td>{n.address}</td>
                <td>{n.version}</td>
                <td>
                  {n.host} <span className="muted">pid {n.pid}</span>
                </td>
                <td>
                  <Time iso={n.startedAt} relative />
                </td>
                <td>
                  <Time iso={n.heartbeatAt} relative />
                </td>
                <td style={{ textAlign: 'right', paddingRight: 16 }}>{n.runsInProgress}</td>
                <td data-testid="node-state">{stateOf(n)}</td>
                {canDrain && (
                  <td style={{ padding: '4px 8px', textAlign: 'right' }}>
                    {(n.state === 'alive' || n.state === 'late') && (
                      <button type="button" className="btn" disabled={busy === n.id} onClick={() => void useNodesStore.getState().setDraining(n.id, !n.draining)}>
                        {n.draining ? 'Undrain' : 'Drain'}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
            {loaded && nodes.length === 0 && (
              <tr>
                <td colSpan={canDrain ? 9 : 8} className="muted" style={{ padding: 8 }}>
                  No node has served this store yet: a serve or the desktop app registers as it starts scheduling.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
