import type { Handler } from '../integration/engine/command.js';

/** okta-auth-reset: forgets cached OAuth tokens (and, with dpop_key=true, the DPoP key), so the next command mints anew. */
export const authReset: Handler = async (ctx) => {
  await ctx.auth.reset?.({ dpopKey: ctx.args.dpop_key === true });
  return { readable: 'Authentication data cleared successfully.', raw: { cleared: true, dpopKey: ctx.args.dpop_key === true } };
};
