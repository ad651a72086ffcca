/** Okta auth providers: API token (SSWS) and OAuth 2.0 service app (private_key_jwt, DPoP). */
export { createSswsAuth, type SswsOptions } from './ssws.js';
export {
  createOAuthAuth,
  OAuthTokenError,
  parseWwwAuthenticate,
  type OAuthAuthOptions,
  type OAuthAuthProvider,
  type OAuthDescription,
  type DpopMode,
} from './oauth.js';
export { loadSigningKey, JWS_ALGORITHMS, type JwsAlgorithm, type SigningKey, type LoadKeyOptions } from './keys.js';
export { createClientAssertion, tokenEndpoint, CLIENT_ASSERTION_TYPE } from './client-assertion.js';
export { createDpopProof, dpopHtu, accessTokenHash, loadOrCreateDpopKey, DPOP_KEY_STATE, type DpopKey } from './dpop.js';
export { tokenCacheKey, mintLockName, dpopModeKey, type CachedToken } from './token-cache.js';
export { generateServiceAppKey, writePrivateKeyFile, type ServiceAppKey, type ServiceAppKeyKind } from './keygen.js';
export { createUserAuth, type UserAuthOptions, type UserAuthProvider } from './user.js';
export { UserEndpoints, SignInError, authorizeRequest, identityOf, recordFrom, SIGN_IN_SCOPES, type TokenAnswer, type AuthorizeRequest, type DeviceAuthorization } from './user-endpoints.js';
export { SignInStore, notSignedInMessage, signInLockName, type SignInRecord } from './user-signin.js';
