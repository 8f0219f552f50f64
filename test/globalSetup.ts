// Builds the launcher (and the other plain-JavaScript parts) before any test forks it,
// so a test never runs against a stale build.
import { buildNode } from '../scripts/build-node.mjs';

export default async function setup(): Promise<void> {
  await buildNode();
}
