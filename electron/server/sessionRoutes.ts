/**
 * The web console's sign-in: POST /api/session with an API token starts a
 * session whose random id (not the token) goes into an HttpOnly,
 * SameSite=Strict cookie; DELETE /api/session ends it on the server too, so
 * a copied cookie stops working at sign-out. Sessions expire (12 h by
 * default, sooner if their token does) and end with their token or user.
 */
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { validationError } from '../../shared/dispatch';
import { JobdeckError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import { AuthGuard, SESSION_COOKIE } from './auth';
import { fromThisOrigin } from './crossOrigin';
import { sendError } from './errors';
import { SignInLinks } from '../engine/services/signInLinks';

const refusedLink = (): never => {
  throw new JobdeckError('UNAUTHORIZED', 'this sign-in link has expired or has been used already: sign in with an API token (on the server: jobdeck tokens create admin)');
};

const login = z.union([z.strictObject({ token: z.string().min(1).max(200) }), z.strictObject({ link: z.string().min(1).max(200) })]);

export function registerSessionRoutes(app: FastifyInstance, engine: Engine, auth: AuthGuard, secure: boolean): void {
  app.post('/api/session', async (req, reply) => {
    try {
      if (req.headers.origin !== undefined && !fromThisOrigin(req)) {
        throw new JobdeckError('FORBIDDEN', `cross-site sign-in refused: sign in from a page of ${req.host}`);
      }
      if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
        throw new JobdeckError('VALIDATION_FAILED', 'the body must be a JSON object: {"token": "…"}', 'body');
      }
      const parsed = login.safeParse(req.body);
      if (!parsed.success) throw validationError(parsed.error.issues);
      // A one-time sign-in link (first start) is checked like a token, then exchanged for a token of its own.
      const caller =
        'link' in parsed.data
          ? await new SignInLinks(engine.data, engine.services.users).redeem(await auth.verify(req.ip, parsed.data.link).catch((err: unknown) => (err instanceof JobdeckError && err.code === 'UNAUTHORIZED' ? refusedLink() : Promise.reject(err))))
          : await auth.verify(req.ip, parsed.data.token);
      const session = await engine.services.users.startSession(caller, auth.sessionMs);
      reply.setCookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: '/',
        maxAge: Math.max(1, Math.floor((session.expiresAt - Date.now()) / 1000)),
      });
      return { name: caller.actor, role: caller.role, expiresAt: new Date(session.expiresAt).toISOString() };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.delete('/api/session', async (req, reply) => {
    try {
      const session = req.cookies?.[SESSION_COOKIE];
      if (session) {
        if (!fromThisOrigin(req)) throw new JobdeckError('FORBIDDEN', `cross-site sign-out refused: sign out from a page of ${req.host}`);
        await engine.services.users.endSession(session);
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
