import { defaultStateDir, FileStore, type StateStore } from './store.js';

/**
 * The state store the environment names: Redis when OKTA_STATE_URL is set (with OKTA_STATE_KEY
 * or OKTA_STATE_KEY_FILE), else the directory OKTA_STATE_DIR (default ~/.okta-soar). The Redis
 * code, and ioredis, load only when used (start-up time of one-command processes).
 */
export async function openStateStore(env: NodeJS.ProcessEnv): Promise<StateStore> {
  const url = env.OKTA_STATE_URL?.trim();
  if (!url) return new FileStore(defaultStateDir(env));
  const [{ RedisStore }, { StateCipher }] = await Promise.all([import('./redis-store.js'), import('./state-key.js')]);
  return new RedisStore(url, StateCipher.fromEnv(env));
}
