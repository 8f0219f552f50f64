/** Users, roles and API tokens. */
import type { CallContext } from '../../../shared/contract';
import { JobdeckError } from '../../../shared/errors';
import type { Role, User } from '../../../shared/model/misc';
import type { Clock } from '../clock';
import type { Store } from '../store/store';

export class UsersService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  list(): User[] {
    return this.store.users.list();
  }

  count(): number {
    return this.store.users.count();
  }

  add(name: string, role: Role, ctx: CallContext): { user: User; token: string } {
    return this.store.users.add(name, role, ctx.actor, this.clock.now());
  }

  remove(name: string, ctx: CallContext): void {
    if (name.toLowerCase() === ctx.actor.toLowerCase()) throw new JobdeckError('INVALID_STATE', 'you cannot remove yourself; ask another superadmin', 'name');
    this.store.users.remove(name, ctx.actor, this.clock.now());
  }

  createToken(name: string, ctx: CallContext): { id: string; token: string } {
    return this.store.users.createToken(name, ctx.actor, this.clock.now());
  }

  revokeToken(tokenId: string, ctx: CallContext): void {
    this.store.users.revokeToken(tokenId, ctx.actor, this.clock.now());
  }

  /** The caller a clear-text token stands for, if it is valid. */
  authenticate(token: string): CallContext | null {
    const user = this.store.users.authenticate(token, Date.now());
    return user ? { actor: user.name, role: user.role } : null;
  }
}
