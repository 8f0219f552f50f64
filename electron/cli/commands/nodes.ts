/** `jobdeck nodes`: the processes serving a store, and draining one before it is stopped or upgraded. */
import type { Command } from 'commander';
import type { NodeInfo } from '../../../shared/model/misc';
import { print, printJson, withEngine, type GlobalOptions } from '../context';
import { localTime, table } from '../format';

const stateText = (n: NodeInfo) => `${n.state}${n.draining && n.state === 'alive' ? ', draining' : ''}${n.self ? ' (answering)' : ''}`;

export function registerNodes(program: Command, globals: () => GlobalOptions): void {
  const nodes = program.command('nodes').description('the processes serving the store (a serve, the desktop app): list, drain, undrain');

  nodes
    .command('list', { isDefault: true })
    .description('each node: address, version, start, last heartbeat, runs in progress, state')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withEngine(globals(), async (client) => {
        const list = await client.call('nodes.list', {});
        if (o.json) return printJson(list);
        if (list.length === 0) return print('No node has served this store yet (a serve or the desktop app registers as it starts scheduling).');
        print(
          table(
            ['NODE', 'ADDRESS', 'VERSION', 'HOST', 'STARTED', 'HEARTBEAT', 'RUNNING', 'STATE'],
            list.map((n) => [n.id, n.address, n.version, `${n.host} (pid ${n.pid})`, localTime(n.startedAt), localTime(n.heartbeatAt), String(n.runsInProgress), stateText(n)]),
          ),
        );
      });
    });

  for (const [verb, description] of [
    ['drain', 'stop a node from starting queued runs (runs in progress go on), to stop or upgrade it without interrupting anything'],
    ['undrain', 'let a drained node start queued runs again'],
  ] as const) {
    nodes
      .command(`${verb} <node>`)
      .description(description)
      .option('--json', 'print the node as JSON')
      .action(async (id: string, o: { json?: boolean }) => {
        await withEngine(globals(), async (client) => {
          const node = await client.call(`nodes.${verb}`, { id });
          if (o.json) return printJson(node);
          if (verb === 'undrain') return print(`Node ${node.id} starts queued runs again.`);
          const when = node.self ? 'now' : `within ${Math.ceil(node.leaseSeconds / 3)} s (at its next heartbeat)`;
          print(`Node ${node.id} starts no queued run from ${when}; ${node.runsInProgress === 1 ? '1 run in progress goes on. Stop it once it has ended' : `${node.runsInProgress} runs in progress go on. Stop it once they have ended`} (jobdeck nodes).`);
        });
      });
  }
}
