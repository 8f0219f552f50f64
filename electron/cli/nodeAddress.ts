/**
 * How the other nodes of a shared database reach a serve, and know it is
 * the one that registered: its URL (given, or the one it listens at with a
 * wildcard host made its machine's name) and its certificate's fingerprint,
 * which they pin when they fetch its result files.
 */
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { UsageError } from './context';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** The URL this node is registered at: `--node-url`, checked, or the listening URL with a reachable host. */
export function nodeUrl(listening: string, given: string | undefined, https: boolean): string {
  if (given === undefined) {
    const u = new URL(listening);
    if (WILDCARDS.has(u.hostname)) u.hostname = hostname();
    return u.origin;
  }
  let u: URL;
  try {
    u = new URL(given);
  } catch {
    throw new UsageError(`--node-url: "${given}" is not a URL such as https://node1.example.com:7070`);
  }
  const scheme = https ? 'https:' : 'http:';
  if (u.protocol !== scheme) throw new UsageError(`--node-url: this node serves ${scheme.slice(0, -1).toUpperCase()}, so its URL must start with ${scheme}//`);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) {
    throw new UsageError(`--node-url: give the scheme, host and port only (${u.origin}), not "${given}"`);
  }
  return u.origin;
}

/** The SHA-256 fingerprint of the first certificate of a PEM file (as Node prints it: hex pairs and colons). */
export function certificateFingerprint(pem: Buffer): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch (err) {
    throw new UsageError(`--tls-cert: not a PEM certificate (${(err as Error).message})`);
  }
}
