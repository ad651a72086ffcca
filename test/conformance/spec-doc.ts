/** The two documents of Okta's spec as the checker reads them (shared by spec.ts and spec-defects.ts). */
export type OpenApiDoc = {
  paths: Record<string, Record<string, unknown>>;
  components?: {
    schemas?: Record<string, unknown>;
    responses?: Record<string, unknown>;
    parameters?: Record<string, unknown>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

export type SpecName = 'management' | 'oauth';
