/**
 * First start without a desktop: `jobdeck serve` on a data folder with no
 * users creates the superadmin `admin` and a one-time sign-in link. The
 * link's secret is a token that works once, for 24 hours, and only to start
 * a console session: redeemed, it is revoked, and the session runs on a new
 * token of the same user that is never shown.
 */
import { JobdeckError } from '../../../shared/errors';
import type { EngineStore as Store } from '../store/engineStore';
import type { AuthenticatedCaller, UsersService } from './usersService';

export const SIGN_IN_LINK_SETTING = 'signin.link';
export const FIRST_USER = 'admin';
const LINK_LIFETIME_S = 24 * 3600;
const SERVE: { actor: string; role: 'superadmin' } = { actor: 'jobdeck serve', role: 'superadmin' };

export class SignInLinks {
  constructor(
    private readonly store: Store,
    private readonly users: UsersService,
  ) {}

  /** With no users yet: makes the superadmin and its link (the secret is in the result only). Null when users exist. */
  async firstStart(): Promise<{ user: string; secret: string; expiresAt: string } | null> {
    if ((await this.users.count()) > 0) return null;
    // The user's first token is never shown: the link is the way in, API tokens come from `jobdeck tokens create admin`.
    await this.users.add(FIRST_USER, 'superadmin', SERVE);
    const link = await this.users.createToken(FIRST_USER, SERVE, LINK_LIFETIME_S);
    await this.store.settings.set(SIGN_IN_LINK_SETTING, { tokenId: link.id });
    return { user: FIRST_USER, secret: link.token, expiresAt: link.expiresAt! };
  }

  /**
   * Exchanges the caller of a link's secret (already checked as a token) for
   * a caller on a fresh token of the same user; the link is void from then
   * on. The link is taken in one statement, so of two redeems (from any
   * node) only one succeeds.
   */
  async redeem(caller: AuthenticatedCaller): Promise<AuthenticatedCaller> {
    const taken = await this.store.settings.replaceIf(SIGN_IN_LINK_SETTING, { tokenId: caller.tokenId }, null);
    if (!taken) {
      throw new JobdeckError('UNAUTHORIZED', 'this is not a sign-in link, or it has been used already: sign in with an API token (on the server: jobdeck tokens create admin)');
    }
    const ctx = { actor: caller.actor, role: caller.role };
    await this.users.revokeToken(caller.tokenId, ctx);
    const fresh = await this.users.createToken(caller.actor, ctx);
    const session = await this.users.authenticate(fresh.token);
    if (!session) throw new JobdeckError('INTERNAL', 'the new token of the sign-in link does not work');
    return session;
  }
}
