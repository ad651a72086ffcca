/**
 * Okta's error bodies: `{errorCode, errorSummary, errorLink, errorId, errorCauses}`.
 * Codes, statuses and summaries follow Okta's error catalogue and the spec's examples.
 */
import { randomAlnum } from './random.js';

export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: { errorSummary: string }[];
}

/** Thrown by handlers; the server turns it into the HTTP answer. */
export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: OktaErrorBody | Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.errorSummary === 'string' ? body.errorSummary : `HTTP ${status}`);
    this.name = 'SandboxHttpError';
  }
}

export function errorBody(code: string, summary: string, causes: string[] = []): OktaErrorBody {
  return {
    errorCode: code,
    errorSummary: summary,
    errorLink: code,
    errorId: `oae${randomAlnum(22)}`,
    errorCauses: causes.map((errorSummary) => ({ errorSummary })),
  };
}

export function oktaError(status: number, code: string, summary: string, causes: string[] = []): SandboxHttpError {
  return new SandboxHttpError(status, errorBody(code, summary, causes));
}

/** 404 E0000007, e.g. `Not found: Resource not found: 00u… (User)`. */
export function notFound(id: string, kind: string): SandboxHttpError {
  return oktaError(404, 'E0000007', `Not found: Resource not found: ${id} (${kind})`);
}

/** 400 E0000001 `Api validation failed: <what>` with causes. */
export function validationFailed(what: string, causes: string[] = []): SandboxHttpError {
  return oktaError(400, 'E0000001', `Api validation failed: ${what}`, causes);
}

export const errors = {
  invalidToken: () => oktaError(401, 'E0000011', 'Invalid token provided'),
  invalidSession: () => oktaError(403, 'E0000005', 'Invalid session'),
  accessDenied: () => oktaError(403, 'E0000006', 'You do not have permission to perform the requested action'),
  pathNotFound: () => oktaError(404, 'E0000008', 'The requested path was not found'),
  methodNotAllowed: () => oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method'),
  malformedBody: () => oktaError(400, 'E0000003', 'The request body was not well-formed.'),
  rateLimited: () => oktaError(429, 'E0000047', 'API call exceeded rate limit due to too many requests.'),
  invalidSearch: (cause?: string) => oktaError(400, 'E0000031', 'Invalid search criteria.', cause ? [cause] : []),
  searchAndFilter: () => oktaError(400, 'E0000033', 'Cannot specify a search query and filter in the same request.'),
  unavailable: () => oktaError(503, 'E0000010', 'Service is in read only mode'),
  internal: () => oktaError(500, 'E0000009', 'Internal Server Error'),
};
