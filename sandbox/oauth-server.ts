/**
 * The sandbox org's authorization server: behaves like Okta's org authorization server for
 * API Services apps (client credentials + private_key_jwt), with DPoP, and checks access
 * tokens on API requests the way Okta's resource server does. Statuses, `error` codes and
 * `error_description` texts are Okta's (okta-developer-docs data/oauth2-error-codes.json).
 *
 * Choices where Okta is silent or we simplify (documented so tests can rely on them):
 * - A DPoP proof sent to an app that does not require DPoP still binds the token (token_type
 *   DPoP, bound to the proof key's thumbprint), as Okta does; the nonce rules then apply too.
 * - The client assertion's jti is consumed as soon as the assertion is valid, before DPoP and
 *   scope checks: a retry after use_dpop_nonce must bring a new assertion (Okta does this).
 * - `htu` is compared with origin + the percent-DECODED request path, as Okta does: a client
 *   that puts `%40` in htu for a path sent as `%40` fails here as it fails at Okta.
 * - Proof `iat` must be within ±5 minutes; assertion `iat` may be up to 60 s in the future.
 * - Access tokens are opaque random strings; invalid_dpop_proof answers are HTTP 400 (Okta's
 *   status), every API auth failure carries Okta's E0000011 body plus a WWW-Authenticate
 *   challenge in the scheme the client used (Bearer, or DPoP for DPoP requests).
 * - API requests do not need a DPoP nonce (Okta: "isn't currently required") unless the
 *   extra option `requireApiNonce` is set, which exercises clients' RFC 9449 §9 handling.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type {
  Principal,
  SandboxHttpRequest,
  SandboxHttpResponse,
  SandboxOAuth,
  SandboxOAuthApp,
  SandboxOAuthOptions,
  SandboxOAuthStats,
} from './oauth-types.js';

export interface SandboxOAuthServerOptions extends SandboxOAuthOptions {
  /** Demand a DPoP nonce on API requests too (401 use_dpop_nonce + DPoP-Nonce). Default false, as Okta. */
  requireApiNonce?: boolean;
}

export interface SandboxOAuthServerStats extends SandboxOAuthStats {
  /** Token requests answered with an error (use_dpop_nonce included). */
  tokenErrors: number;
  /** use_dpop_nonce answers (token endpoint and API). */
  nonceChallenges: number;
  /** API requests authenticated / refused. */
  apiAccepted: number;
  apiRefused: number;
}

export interface SandboxOAuthServer extends SandboxOAuth {
  readonly stats: SandboxOAuthServerStats;
  /** The nonce the server currently hands out (tests). */
  currentNonce(): string;
  /** Tokens issued and still valid (tests). */
  activeTokenCount(): number;
  /** What the analyst sign-in (sandbox/oidc.ts) builds on: DPoP, client assertions, access tokens. */
  readonly core: OAuthCore;
  /** Hands the user grants (authorization_code, refresh_token, device_code) to the OIDC provider. */
  setUserGrants(handler: UserGrantHandler): void;
}

/** An access token as the server keeps it (never the token text itself). */
export interface IssuedToken {
  clientId: string;
  scopes: string[];
  expiresAt: number;
  jkt?: string;
  revoked: boolean;
  /** The user it acts for (user grants only). */
  userId?: string;
  /** The refresh-token family it was minted in (user grants only). */
  grantId?: string;
}

/** The token endpoint's grants for signed-in users, answered by sandbox/oidc.ts. */
export interface UserGrantHandler {
  grantTypes: ReadonlySet<string>;
  token(req: SandboxHttpRequest, form: URLSearchParams): Promise<SandboxHttpResponse>;
  /** A user's access tokens stop working when the user is no longer ACTIVE (suspended, deactivated …). */
  userActive(userId: string): boolean;
}

export interface OAuthCore {
  /** e.g. http://127.0.0.1:4321 */
  readonly origin: string;
  now(): number;
  /** Access token lifetime (seconds). */
  readonly lifetimeSeconds: number;
  /**
   * Checks the DPoP header of a token-endpoint request (one proof, valid, with the current nonce)
   * and returns the key's thumbprint; undefined when none was sent and none is `required`.
   * Throws a Refusal (invalid_dpop_proof, use_dpop_nonce with a DPoP-Nonce header).
   */
  tokenEndpointProof(req: SandboxHttpRequest, required: boolean): Promise<string | undefined>;
  /** Authenticates a private_key_jwt client assertion (consumes its jti). Throws a Refusal. */
  verifyAssertion(assertion: string, reqOrigin: string): Promise<SandboxOAuthApp>;
  mint(t: Omit<IssuedToken, 'expiresAt' | 'revoked'>): { accessToken: string; expiresIn: number };
  /** The stored access token, if it was issued here (revoked or expired ones too). */
  find(accessToken: string): IssuedToken | undefined;
  /** Revokes the access tokens that match; returns how many were live. */
  revokeWhere(match: (t: IssuedToken) => boolean): number;
  /** A token-endpoint error answer (counted in the stats). */
  tokenError(r: Refusal): SandboxHttpResponse;
  /** Authenticates a resource request (Bearer or DPoP) as the API does. */
  authenticate: SandboxOAuth['authenticate'];
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const DPOP_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_ASSERTION_AHEAD_S = 3600;
const ASSERTION_IAT_SKEW_S = 60;
const PROOF_WINDOW_S = 300;
const NONCE_ROTATE_MS = 24 * 3600_000;
const NONCE_GRACE_MS = 3 * 24 * 3600_000;

/** Okta's texts (data/oauth2-error-codes.json). */
const T = {
  invalidClient: 'Client authentication failed. Either the client or the client credentials are invalid.',
  noCredentials: 'No client credentials found.',
  multipleCredentials:
    'Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.',
  privateKeyJwtOnly: 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.',
  assertionType: 'The client_assertion_type is invalid.',
  badIssuer: 'The issuer claim for client_assertion is not a valid client_id.',
  badSubject: 'The subject claim for client_assertion is not a valid client_id.',
  badAudience: 'The audience claim for client_assertion must be the endpoint invoked for the request.',
  expRequired: "The client_assertion must contain the 'exp' claim as seconds since epoch.",
  expired: 'The client_assertion token is expired.',
  tooFar: 'The client_assertion token has an expiration too far into the future.',
  iatFuture: 'The client_assertion token must be issued before the current time.',
  alreadyUsed: 'The client_assertion token has already been used.',
  badSignature: 'The client_assertion signature is invalid.',
  unparseable: 'The parsing of the client_assertion failed.',
  badKid: 'The client_assertion JWT kid is invalid.',
  noJwks: 'The client does not have a JWKSet configured, but the client_assertion requires one.',
  badAlg: 'The client_assertion JWT signature algorithm is invalid.',
  badKeyUse: "The public key being used for client assertion has an invalid 'use' parameter. Valid values for the 'use' parameter are [sig].",
  missingGrant: "The token request must specify a 'grant_type'. Valid values: [client_credentials]",
  unsupportedGrant: 'The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].',
  duplicateParams: 'The request contained multiple parameters with the same name.',
  badContentType: 'Invalid request',
  noScopes: 'No scopes were requested.',
  illegalScopes: (s: string[]) => `The following scopes are not allowed for this request: [${s.join(', ')}].`,
  useNonce: 'Authorization server requires nonce in DPoP proof.',
  useNonceApi: 'Resource server requires nonce in DPoP proof.',
  dpopInvalid: 'The DPoP proof JWT is invalid.',
  dpopMissing: 'The DPoP proof JWT header is missing.',
  dpopMultiple: 'Multiple DPoP proof JWT headers are not allowed.',
  dpopTyp: "'typ' must be 'dpop+jwt' in the DPoP proof JWT.",
  dpopAlg: 'The DPoP proof JWT signature algorithm is invalid.',
  dpopParse: 'The DPoP proof JWT cannot be parsed.',
  dpopSignature: 'The DPoP proof JWT signature is invalid.',
  dpopHtm: "'htm' claim in the DPoP proof JWT is invalid.",
  dpopHtu: "'htu' claim in the DPoP proof JWT is invalid.",
  dpopIat: "'iat' claim in the DPoP proof JWT is invalid.",
  dpopFuture: 'The DPoP proof JWT is issued in the future.',
  dpopOld: 'The DPoP proof JWT is issued more than five minutes in the past.',
  dpopJti: "'jti' claim in the DPoP proof JWT is invalid.",
  dpopReplay: 'The DPoP proof JWT has already been used.',
  dpopAth: "'ath' claim in the DPoP proof does not match the presented access_token.",
  dpopBinding: 'The access_token is not bound to the provided DPoP proof.',
  dpopProofRequired: 'The resource request requires a DPoP proof.',
  dpopSchemeRequired: 'The resource request must use the DPoP authentication scheme when using a DPoP bound token.',
  notDpopBound: 'The presented access_token is not DPoP bound.',
  tokenMissing: 'The access token is missing.',
  tokenInvalid: 'The access token is invalid.',
  tokenExpired: 'The token has expired.',
  tokenRevoked: 'The access token has been revoked.',
};

type ProofResult = { ok: true; jkt: string; nonce?: string } | { ok: false; description: string };

/** An OAuth error answer, thrown inside the token endpoint. */
export class Refusal {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

function b64urlSha256(text: string): string {
  return createHash('sha256').update(text, 'ascii').digest('base64url');
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** origin + path of an htu claim as the client wrote it (query and fragment ignored, RFC 9449 §4.3). */
function splitHtu(htu: string): { origin: string; path: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)/i.exec(htu);
  if (!m) return undefined;
  try {
    return { origin: new URL(m[1]!).origin, path: m[2] || '/' };
  } catch {
    return undefined;
  }
}

function header(req: SandboxHttpRequest, name: string): string | undefined {
  const v = req.headers[name] ?? req.headers[name.toLowerCase()];
  return v === undefined ? undefined : String(v);
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

export function createSandboxOAuth(opts: SandboxOAuthServerOptions): SandboxOAuthServer {
  const origin = new URL(opts.origin).origin;
  const lifetime = opts.tokenLifetimeSeconds ?? 3600;
  const apps = new Map<string, SandboxOAuthApp>();
  for (const a of opts.apps) apps.set(a.clientId, { ...a, publicJwks: [...a.publicJwks], grantedScopes: copyGrant(a.grantedScopes) });
  const keyCache = new Map<string, CryptoKey>();
  const usedAssertions = new Map<string, number>(); // clientId + jti → expiry (ms)
  const usedProofs = new Map<string, number>(); // jkt + jti → forget after (ms)
  const tokens = new Map<string, IssuedToken>();
  let userGrants: UserGrantHandler | undefined;
  let nonce = { current: randomBytes(24).toString('base64url'), issuedAt: opts.now(), previous: undefined as { value: string; until: number } | undefined };

  const stats: SandboxOAuthServerStats = { tokenRequests: 0, tokensMinted: 0, tokenErrors: 0, nonceChallenges: 0, apiAccepted: 0, apiRefused: 0 };

  const nowS = () => Math.floor(opts.now() / 1000);

  function currentNonce(): string {
    const now = opts.now();
    if (now - nonce.issuedAt >= NONCE_ROTATE_MS) {
      nonce = { current: randomBytes(24).toString('base64url'), issuedAt: now, previous: { value: nonce.current, until: nonce.issuedAt + NONCE_GRACE_MS } };
    }
    return nonce.current;
  }

  function nonceValid(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    const current = currentNonce();
    return value === current || (!!nonce.previous && value === nonce.previous.value && opts.now() < nonce.previous.until);
  }

  function prune(): void {
    const now = opts.now();
    for (const [k, until] of usedAssertions) if (until < now) usedAssertions.delete(k);
    for (const [k, until] of usedProofs) if (until < now) usedProofs.delete(k);
    for (const [k, t] of tokens) if (t.expiresAt + 24 * 3600_000 < now) tokens.delete(k);
  }

  function tokenError(r: Refusal): SandboxHttpResponse {
    stats.tokenErrors++;
    if (r.error === 'use_dpop_nonce') stats.nonceChallenges++;
    return {
      status: r.status,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...r.headers },
      body: { error: r.error, error_description: r.description },
    };
  }

  async function appKey(app: SandboxOAuthApp, jwk: JWK, alg: string): Promise<CryptoKey> {
    const id = `${app.clientId}\n${jwk.kid ?? ''}\n${alg}\n${JSON.stringify(jwk)}`;
    let key = keyCache.get(id);
    if (!key) {
      key = (await importJWK(jwk, alg)) as CryptoKey;
      keyCache.set(id, key);
    }
    return key;
  }

  function keyFits(jwk: JWK, alg: string): boolean {
    if (jwk.alg && jwk.alg !== alg) return false;
    if (alg.startsWith('RS')) return jwk.kty === 'RSA';
    const crv = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg];
    return jwk.kty === 'EC' && jwk.crv === crv;
  }

  /** Authenticates the client; returns the app or throws a Refusal. Consumes the jti. */
  async function verifyAssertion(assertion: string, reqOrigin: string): Promise<SandboxOAuthApp> {
    let head: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      head = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw new Refusal(401, 'invalid_client', T.unparseable);
    }
    const iss = claims.iss;
    const app = typeof iss === 'string' ? apps.get(iss) : undefined;
    if (!app) throw new Refusal(401, 'invalid_client', T.badIssuer);
    if (claims.sub !== iss) throw new Refusal(401, 'invalid_client', T.badSubject);
    const alg = head.alg;
    if (typeof alg !== 'string' || !ASSERTION_ALGS.includes(alg)) throw new Refusal(401, 'invalid_client', T.badAlg);
    if (!app.publicJwks.length) throw new Refusal(401, 'invalid_client', T.noJwks);

    let candidates: JWK[];
    if (head.kid !== undefined) {
      const byKid = app.publicJwks.filter((k) => k.kid === head.kid);
      if (!byKid.length) throw new Refusal(401, 'invalid_client', T.badKid);
      candidates = byKid;
    } else {
      candidates = app.publicJwks;
    }
    for (const k of candidates) if (k.use !== undefined && k.use !== 'sig') throw new Refusal(401, 'invalid_client', T.badKeyUse);
    const fitting = candidates.filter((k) => keyFits(k, alg));
    if (!fitting.length) throw new Refusal(401, 'invalid_client', T.badAlg);

    let verified: JWTPayload | undefined;
    for (const jwk of fitting) {
      try {
        const key = await appKey(app, jwk, alg);
        ({ payload: verified } = await jwtVerify(assertion, key, { algorithms: [alg], currentDate: new Date(opts.now()) }));
        break;
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) throw new Refusal(401, 'invalid_client', T.expired);
        if (e instanceof joseErrors.JWTClaimValidationFailed) throw new Refusal(401, 'invalid_client', T.unparseable);
        // signature mismatch with this key: try the next one
      }
    }
    if (!verified) throw new Refusal(401, 'invalid_client', T.badSignature);

    const aud = verified.aud;
    const tokenUrls = new Set([`${origin}/oauth2/v1/token`, `${reqOrigin}/oauth2/v1/token`]);
    const audOk = typeof aud === 'string' ? tokenUrls.has(aud) : Array.isArray(aud) && aud.length === 1 && tokenUrls.has(aud[0]!);
    if (!audOk) throw new Refusal(401, 'invalid_client', T.badAudience);
    const now = nowS();
    if (typeof verified.exp !== 'number') throw new Refusal(401, 'invalid_client', T.expRequired);
    if (verified.exp <= now) throw new Refusal(401, 'invalid_client', T.expired);
    if (verified.exp > now + MAX_ASSERTION_AHEAD_S) throw new Refusal(401, 'invalid_client', T.tooFar);
    if (typeof verified.iat === 'number' && verified.iat > now + ASSERTION_IAT_SKEW_S) throw new Refusal(401, 'invalid_client', T.iatFuture);
    if (verified.jti !== undefined) {
      const k = `${app.clientId}\n${String(verified.jti)}`;
      if (usedAssertions.has(k)) throw new Refusal(401, 'invalid_client', T.alreadyUsed);
      usedAssertions.set(k, verified.exp * 1000 + 60_000);
    }
    return app;
  }

  /** RFC 9449 §4.3 checks, with Okta's error texts. Records the jti when the proof is good. */
  async function verifyProof(proof: string, method: string, url: string, accessToken?: string): Promise<ProofResult> {
    let head: ReturnType<typeof decodeProtectedHeader>;
    try {
      head = decodeProtectedHeader(proof);
      decodeJwt(proof);
    } catch {
      return { ok: false, description: T.dpopParse };
    }
    if (head.typ !== 'dpop+jwt') return { ok: false, description: T.dpopTyp };
    const alg = head.alg;
    if (typeof alg !== 'string' || !DPOP_ALGS.includes(alg)) return { ok: false, description: T.dpopAlg };
    const jwk = head.jwk as JWK | undefined;
    if (!jwk || typeof jwk !== 'object' || PRIVATE_JWK_MEMBERS.some((m) => m in jwk) || !keyFits({ ...jwk, alg: undefined } as JWK, alg)) {
      return { ok: false, description: T.dpopInvalid };
    }
    let payload: JWTPayload;
    try {
      const key = await importJWK(jwk, alg);
      ({ payload } = await jwtVerify(proof, key, { algorithms: [alg], typ: 'dpop+jwt', currentDate: new Date(opts.now()), clockTolerance: PROOF_WINDOW_S }));
    } catch (e) {
      return { ok: false, description: e instanceof joseErrors.JWSSignatureVerificationFailed ? T.dpopSignature : T.dpopInvalid };
    }
    if (payload.htm !== method.toUpperCase()) return { ok: false, description: T.dpopHtm };
    const target = new URL(url);
    const claimed = typeof payload.htu === 'string' ? splitHtu(payload.htu) : undefined;
    if (!claimed || claimed.origin !== target.origin || claimed.path !== safeDecode(target.pathname)) return { ok: false, description: T.dpopHtu };
    if (typeof payload.iat !== 'number') return { ok: false, description: T.dpopIat };
    const now = nowS();
    if (payload.iat > now + PROOF_WINDOW_S) return { ok: false, description: T.dpopFuture };
    if (payload.iat < now - PROOF_WINDOW_S) return { ok: false, description: T.dpopOld };
    if (typeof payload.jti !== 'string' || payload.jti === '') return { ok: false, description: T.dpopJti };
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const replayKey = `${jkt}\n${payload.jti}`;
    if (usedProofs.has(replayKey)) return { ok: false, description: T.dpopReplay };
    if (accessToken !== undefined && payload.ath !== b64urlSha256(accessToken)) return { ok: false, description: T.dpopAth };
    usedProofs.set(replayKey, (payload.iat + 2 * PROOF_WINDOW_S) * 1000);
    return { ok: true, jkt, ...(typeof payload.nonce === 'string' ? { nonce: payload.nonce } : {}) };
  }

  async function tokenEndpointProof(req: SandboxHttpRequest, required: boolean): Promise<string | undefined> {
    const dpopHeader = header(req, 'dpop');
    if (dpopHeader === undefined) {
      if (required) throw new Refusal(400, 'invalid_dpop_proof', T.dpopMissing);
      return undefined;
    }
    if (dpopHeader.includes(',')) throw new Refusal(400, 'invalid_dpop_proof', T.dpopMultiple);
    const r = await verifyProof(dpopHeader.trim(), 'POST', req.url);
    if (!r.ok) throw new Refusal(400, 'invalid_dpop_proof', r.description);
    if (!nonceValid(r.nonce)) throw new Refusal(400, 'use_dpop_nonce', T.useNonce, { 'dpop-nonce': currentNonce() });
    return r.jkt;
  }

  function mint(t: Omit<IssuedToken, 'expiresAt' | 'revoked'>): { accessToken: string; expiresIn: number } {
    const accessToken = `sbx.${randomBytes(32).toString('base64url')}`;
    tokens.set(accessToken, { ...t, scopes: [...t.scopes], expiresAt: opts.now() + lifetime * 1000, revoked: false });
    stats.tokensMinted++;
    return { accessToken, expiresIn: lifetime };
  }

  async function handleToken(req: SandboxHttpRequest): Promise<SandboxHttpResponse> {
    stats.tokenRequests++;
    prune();
    try {
      return await token(req);
    } catch (e) {
      if (e instanceof Refusal) return tokenError(e);
      throw e;
    }
  }

  async function token(req: SandboxHttpRequest): Promise<SandboxHttpResponse> {
    if (req.method.toUpperCase() !== 'POST') throw new Refusal(405, 'invalid_request', T.badContentType);
    const ctype = (header(req, 'content-type') ?? '').toLowerCase();
    if (!ctype.startsWith('application/x-www-form-urlencoded')) throw new Refusal(400, 'invalid_request', T.badContentType);
    const form = new URLSearchParams(req.body ?? '');
    const names = [...form.keys()];
    if (new Set(names).size !== names.length) throw new Refusal(400, 'invalid_request', T.duplicateParams);
    const p = (n: string) => form.get(n) ?? undefined;

    const basic = /^\s*basic\s/i.test(header(req, 'authorization') ?? '');
    const assertion = p('client_assertion');
    if (assertion !== undefined && (basic || p('client_secret') !== undefined || p('client_id') !== undefined)) {
      throw new Refusal(401, 'invalid_request', T.multipleCredentials);
    }
    const grant = p('grant_type');
    // A signed-in user's grants belong to the OIDC apps (their own client authentication rules).
    if (grant && userGrants?.grantTypes.has(grant)) return userGrants.token(req, form);
    if (assertion === undefined && (basic || p('client_secret') !== undefined)) throw new Refusal(401, 'invalid_client', T.privateKeyJwtOnly);

    if (!grant) throw new Refusal(400, 'invalid_request', T.missingGrant);
    if (grant !== 'client_credentials') throw new Refusal(400, 'unsupported_grant_type', T.unsupportedGrant);

    if (assertion === undefined) throw new Refusal(401, 'invalid_client', T.noCredentials);
    if (p('client_assertion_type') !== CLIENT_ASSERTION_TYPE) throw new Refusal(400, 'invalid_request', T.assertionType);
    const reqOrigin = new URL(req.url).origin;
    const app = await verifyAssertion(assertion, reqOrigin);

    // DPoP: required by the app, or offered by the client.
    const jkt = await tokenEndpointProof(req, app.requireDpop);

    const scopeParam = p('scope');
    const requested = [...new Set((scopeParam ?? '').split(' ').filter(Boolean))];
    if (!requested.length) throw new Refusal(400, 'invalid_scope', T.noScopes);
    const granted = app.grantedScopes;
    const refused = granted === '*' ? [] : requested.filter((s) => !granted.includes(s));
    if (refused.length) throw new Refusal(400, 'invalid_scope', T.illegalScopes(refused));

    const { accessToken } = mint({ clientId: app.clientId, scopes: requested, ...(jkt ? { jkt } : {}) });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      body: { token_type: jkt ? 'DPoP' : 'Bearer', expires_in: lifetime, access_token: accessToken, scope: requested.join(' ') },
    };
  }

  function apiRefusal(
    req: SandboxHttpRequest,
    scheme: 'Bearer' | 'DPoP',
    status: number,
    error: string,
    description: string,
    extra: Record<string, string> = {},
  ): { ok: false; response: SandboxHttpResponse } {
    stats.apiRefused++;
    const path = new URL(req.url).pathname;
    const params = [
      ...(scheme === 'DPoP' ? [`algs=${quote(DPOP_ALGS.join(' '))}`] : []),
      `authorization_uri=${quote(`${origin}/oauth2/v1/authorize`)}`,
      `realm=${quote(origin)}`,
      `error=${quote(error)}`,
      `error_description=${quote(description)}`,
      `resource=${quote(path)}`,
    ];
    return {
      ok: false,
      response: {
        status,
        headers: { 'www-authenticate': `${scheme} ${params.join(', ')}`, ...extra },
        body: {
          errorCode: 'E0000011',
          errorSummary: 'Invalid token provided',
          errorLink: 'E0000011',
          errorId: `oae${randomUUID().replace(/-/g, '').slice(0, 19)}`,
          errorCauses: [],
        },
      },
    };
  }

  async function authenticate(req: SandboxHttpRequest): Promise<{ ok: true; principal: Principal } | { ok: false; response: SandboxHttpResponse }> {
    prune();
    const auth = header(req, 'authorization') ?? '';
    const m = /^\s*(Bearer|DPoP)\s+(\S+)\s*$/i.exec(auth);
    if (!m) return apiRefusal(req, 'Bearer', 401, auth.trim() ? 'invalid_token' : 'invalid_request', auth.trim() ? T.tokenInvalid : T.tokenMissing);
    const scheme: 'Bearer' | 'DPoP' = m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const accessToken = m[2]!;
    const t = tokens.get(accessToken);
    if (!t) return apiRefusal(req, scheme, 401, 'invalid_token', T.tokenInvalid);
    if (t.revoked) return apiRefusal(req, scheme, 401, 'invalid_token', T.tokenRevoked);
    if (t.expiresAt <= opts.now()) return apiRefusal(req, scheme, 401, 'invalid_token', T.tokenExpired);
    if (t.userId !== undefined && !userGrants?.userActive(t.userId)) return apiRefusal(req, scheme, 401, 'invalid_token', T.tokenInvalid);

    if (t.jkt) {
      if (scheme !== 'DPoP') return apiRefusal(req, 'DPoP', 400, 'invalid_request', T.dpopSchemeRequired);
      const proof = header(req, 'dpop');
      if (proof === undefined) return apiRefusal(req, 'DPoP', 400, 'invalid_request', T.dpopProofRequired);
      if (proof.includes(',')) return apiRefusal(req, 'DPoP', 400, 'invalid_dpop_proof', T.dpopMultiple);
      const r = await verifyProof(proof.trim(), req.method, req.url, accessToken);
      if (!r.ok) return apiRefusal(req, 'DPoP', 400, 'invalid_dpop_proof', r.description);
      if (r.jkt !== t.jkt) return apiRefusal(req, 'DPoP', 400, 'invalid_dpop_proof', T.dpopBinding);
      if (opts.requireApiNonce && !nonceValid(r.nonce)) {
        stats.nonceChallenges++;
        return apiRefusal(req, 'DPoP', 401, 'use_dpop_nonce', T.useNonceApi, { 'dpop-nonce': currentNonce() });
      }
    } else if (scheme === 'DPoP') {
      return apiRefusal(req, 'DPoP', 401, 'invalid_token', T.notDpopBound);
    }
    stats.apiAccepted++;
    return { ok: true, principal: { kind: 'oauth', scopes: [...t.scopes], clientId: t.clientId, ...(t.userId !== undefined ? { userId: t.userId } : {}) } };
  }

  const core: OAuthCore = {
    origin,
    now: opts.now,
    lifetimeSeconds: lifetime,
    tokenEndpointProof,
    verifyAssertion,
    mint,
    find: (accessToken) => tokens.get(accessToken),
    revokeWhere(match) {
      const now = opts.now();
      let n = 0;
      for (const t of tokens.values()) {
        if (!match(t)) continue;
        if (!t.revoked && t.expiresAt > now) n++;
        t.revoked = true;
      }
      return n;
    },
    tokenError,
    authenticate,
  };

  return {
    handleToken,
    authenticate,
    stats,
    core,
    setUserGrants(handler) {
      userGrants = handler;
    },
    updateApp(clientId, patch) {
      const app = apps.get(clientId);
      if (!app) throw new Error(`sandbox: no OAuth app ${clientId}`);
      if (patch.publicJwks) app.publicJwks = [...patch.publicJwks];
      if (patch.grantedScopes) app.grantedScopes = copyGrant(patch.grantedScopes);
      if (patch.requireDpop !== undefined) app.requireDpop = patch.requireDpop;
      for (const k of [...keyCache.keys()]) if (k.startsWith(`${clientId}\n`)) keyCache.delete(k);
    },
    revokeAllTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    currentNonce,
    activeTokenCount() {
      const now = opts.now();
      return [...tokens.values()].filter((t) => !t.revoked && t.expiresAt > now).length;
    },
  };
}

function copyGrant(g: string[] | '*'): string[] | '*' {
  return g === '*' ? g : [...g];
}
