import type { StateStore, StateUpdate } from './store.js';

/** Instance names (contract §8): letters, digits, `-` and `_`. */
export const INSTANCE_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * One instance's view of a shared store: every key and lock name gets the prefix `<name>.`, so
 * the tokens, budgets and fetch state of two instances never meet, in a directory or in Redis.
 * Closing the view leaves the store open (its owner closes it).
 */
export function namespacedStore(store: StateStore, name: string): StateStore {
  if (!INSTANCE_NAME_RE.test(name)) throw new Error(`invalid instance name for the state: ${JSON.stringify(name)}`);
  const k = (key: string) => `${name}.${key}`;
  return {
    get: (key) => store.get(k(key)),
    set: (key, value) => store.set(k(key), value),
    delete: (key) => store.delete(k(key)),
    update: <T>(key: string, fn: (current: string | undefined) => StateUpdate<T>) => store.update(k(key), fn),
    withLock: (lock, fn, opts) => store.withLock(k(lock), fn, opts),
    location: `${store.location} (instance ${name})`,
    scope: store.scope,
  };
}
