import type { Handler } from '../integration/engine/command.js';
import type { QueryValue } from '../integration/okta/types.js';
import { forEachUser } from './bulk.js';
import { requireUser } from './common.js';

interface Transition {
  /** Okta lifecycle operation: POST /api/v1/users/{id}/lifecycle/<op>. */
  op: string;
  query?: Record<string, QueryValue>;
  /** Statuses in which the transition is already done: reported, not sent. */
  alreadyIn?: string[];
  /** The status after the transition, for the readable line. */
  becomes: string;
}

/** One piece of mechanics for every lifecycle command; the commands differ only by these data. */
export const TRANSITIONS: Record<string, Transition> = {
  'okta-activate-user': { op: 'activate', query: { sendEmail: false }, alreadyIn: ['ACTIVE'], becomes: 'ACTIVE' },
  'okta-deactivate-user': { op: 'deactivate', alreadyIn: ['DEPROVISIONED'], becomes: 'DEPROVISIONED' },
  'okta-suspend-user': { op: 'suspend', alreadyIn: ['SUSPENDED'], becomes: 'SUSPENDED' },
  'okta-unsuspend-user': { op: 'unsuspend', becomes: 'ACTIVE' },
  'okta-unlock-user': { op: 'unlock', becomes: 'ACTIVE' },
};

export function lifecycleHandler(command: string): Handler {
  const t = TRANSITIONS[command]!;
  return (ctx) =>
    forEachUser(ctx, t.op, 'Okta.Lifecycle', async (ref) => {
      const user = await requireUser(ctx, ref);
      const base = { UserID: user.id, Username: user.profile.login };
      if (t.alreadyIn?.includes(user.status)) return { ...base, Result: `already ${user.status}` };
      await ctx.okta.request({
        method: 'POST',
        path: `/api/v1/users/{id}/lifecycle/${t.op}`,
        pathParams: { id: user.id },
        query: t.query,
        // Okta refuses a repeated transition with 400, so a retry cannot act twice.
        idempotent: true,
      });
      return { ...base, Result: `done (${user.status} → ${t.becomes})` };
    });
}

export const clearUserSessions: Handler = (ctx) =>
  forEachUser(ctx, 'clear sessions', 'Okta.Lifecycle', async (ref) => {
    const user = ref.userId ? { id: ref.userId, profile: { login: undefined as string | undefined } } : await requireUser(ctx, ref);
    await ctx.okta.request({
      method: 'DELETE',
      path: '/api/v1/users/{id}/sessions',
      pathParams: { id: user.id },
      query: { oauthTokens: ctx.args.revokeOauthTokens !== false },
    });
    return { UserID: user.id, Username: user.profile.login, Result: ctx.args.revokeOauthTokens !== false ? 'done (sessions and OAuth tokens revoked)' : 'done (sessions cleared)' };
  });
