import { MemoryStore } from './store.js';

/** The library's default state (tokens, DPoP key and nonces): one in-memory store per process, shared by every call. */
export const processStore = new MemoryStore();
