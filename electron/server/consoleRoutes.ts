/**
 * The web console: its built files, and its page with the headers that lock
 * it down. The page's Content-Security-Policy allows no inline style: the
 * code editor's stylesheet carries a nonce made for each page load (given to
 * the console in a meta tag, set on the <style> element by CodeMirror).
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The name of the meta tag the console reads its style nonce from. */
export const NONCE_META = 'jobdeck-style-nonce';

export function pageHeaders(nonce: string | null): Record<string, string> {
  const style = nonce ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'";
  return {
    'content-security-policy': `default-src 'self'; connect-src 'self'; img-src 'self' data:; ${style}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'`,
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
  };
}

const nonces = new WeakMap<FastifyReply, string>();

/** The nonce of a page answer, if it has one (the onSend hook builds its policy from it). */
export const nonceOf = (reply: FastifyReply): string | null => nonces.get(reply) ?? null;

export async function registerConsole(app: FastifyInstance, rendererDir: string | null): Promise<void> {
  if (!rendererDir) {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('Jobdeck API server. The web console is not built: run `npm run build`, then restart `jobdeck serve`.\nAPI: /api/openapi.json\n'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: rendererDir, prefix: '/', index: false });
  let page: string | null = null;
  const index = async (_req: unknown, reply: FastifyReply) => {
    page ??= await readFile(join(rendererDir, 'index.html'), 'utf8');
    const nonce = randomBytes(16).toString('base64');
    nonces.set(reply, nonce);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(page.replace('<head>', `<head>\n    <meta name="${NONCE_META}" content="${nonce}" />`));
  };
  app.get('/', index);
  app.get('/index.html', index);
}
