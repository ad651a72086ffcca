/** XSOAR entry types: 1 is a result, 4 an error. */
export const EntryType = { note: 1, error: 4 } as const;

/** One result in Cortex XSOAR's shape (contract §4). */
export interface Entry {
  Type: 1 | 4;
  ContentsFormat: 'json' | 'text';
  Contents: unknown;
  HumanReadable: string;
  EntryContext?: Record<string, unknown>;
}

/** Configuration parameters after resolution (environment > file > manifest defaults). */
export type Params = Record<string, unknown>;

/** A war-room argument map after coercion and validation. */
export type Args = Record<string, unknown>;
