// `halo-widget/server`: what a customer's backend needs — sign a user's token, verify one,
// make a project's keys. No database, no HTTP server: the reference service is the separate
// `halo-widget-server` package (docs/decisions/0800-two-packages.md).
export { signUserToken } from './sign-user-token.js';
export type { SignUserTokenOptions, UserTokenClaims } from './sign-user-token.js';
export { verifyUserToken, verifyUserTokenSync } from './verify-user-token.js';
export type { VerifyFailure, VerifyResult, VerifyUserTokenOptions } from './verify-user-token.js';
export { generateProjectKeys } from './generate-project-keys.js';
export type { ProjectKeys } from './generate-project-keys.js';
export { findSecret } from './find-secret.js';
export { parseDuration } from './duration.js';
