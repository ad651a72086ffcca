/**
 * Which configuration a call runs on. serve and MCP ask this, never the parameters directly, so
 * that XSOAR's `using=NAME` (contract §8) can choose one of several orgs here without touching
 * them: an implementation over an instances file returns each instance's parameters, its own
 * part of the state, and its name for the metrics: one configuration (`default`), or the
 * instances of an OKTA_INSTANCES_FILE.
 */
import { pickInstance, type Instances as InstancesFile } from '../engine/instances.js';
import type { Params } from '../engine/types.js';
import { namespacedStore } from '../state/namespace.js';
import type { StateStore } from '../state/store.js';

export interface Instance {
  /** Names the instance in metrics (e.g. fetch lag). */
  name: string;
  params: Params;
  /** The instance's own part of the state; the caller's state when unset. */
  state?: StateStore;
}

export interface Instances {
  /** The instance a request's `using` names (undefined: the only one; with several, an error naming them). */
  resolve(using?: unknown): Instance;
  /** Every instance, in order. */
  all(): Instance[];
}

export const DEFAULT_INSTANCE = 'default';

export function singleInstance(params: Params): Instances {
  const only: Instance = { name: DEFAULT_INSTANCE, params };
  return { resolve: () => only, all: () => [only] };
}

/** The instances of an OKTA_INSTANCES_FILE, each with its own part of `state` (contract §8). */
export function fileInstances(file: InstancesFile, state: StateStore): Instances {
  const views = new Map<string, Instance>();
  const view = (name: string): Instance => {
    let v = views.get(name);
    if (!v) views.set(name, (v = { name, params: file.get(name)!.params, state: namespacedStore(state, name) }));
    return v;
  };
  return {
    resolve: (using) => view(pickInstance(file, using).name),
    all: () => file.names.map(view),
  };
}
