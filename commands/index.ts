import type { Handler } from '../integration/command.js';
import { clearUserSessions, lifecycleHandler, TRANSITIONS } from './lifecycle.js';
import { LOG_PRESETS, logQueryHandler } from './logs.js';
import { testModule } from './test-module.js';
import { getUser, listUsers, search } from './users.js';

/** Every command's handler, by manifest name. A test checks this matches integration.yml both ways. */
export const handlers: Record<string, Handler> = {
  'test-module': testModule,
  'okta-get-user': getUser,
  'okta-list-users': listUsers,
  'okta-search': search,
  'okta-clear-user-sessions': clearUserSessions,
  ...Object.fromEntries(Object.keys(TRANSITIONS).map((c) => [c, lifecycleHandler(c)])),
  ...Object.fromEntries(['okta-get-logs'].map((c) => [c, logQueryHandler(c)])),
};

void LOG_PRESETS;
