// The development build flag. The build replaces `process.env.NODE_ENV` with a literal, so
// in the production build `DEV` is `false` and bundlers drop every dev-only message (see
// docs/decisions/0001-development-build.md). Run from source (tests), it follows Node's
// NODE_ENV, so tests see the development build's messages.
declare const process: { env: { NODE_ENV?: string } };

/** True in the development build: long human messages and option diagnostics. */
export const DEV: boolean = process.env.NODE_ENV !== 'production';
