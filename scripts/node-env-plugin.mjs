// Replaces `process.env.NODE_ENV` in the browser code with the build's mode, as bundlers
// do for React and Vue, so the production build's dev-only branches become dead code that
// terser and every app bundler drop (docs/decisions/0001-development-build.md).
// Written here rather than with @rollup/plugin-replace: one expression, no dependency.

/** A rollup plugin that makes `process.env.NODE_ENV` the literal `mode`. */
export function nodeEnv(mode) {
  return {
    name: 'halo-node-env',
    transform(code, id) {
      if (!id.includes('/src/') || !code.includes('process.env.NODE_ENV')) return null;
      return { code: code.replaceAll('process.env.NODE_ENV', JSON.stringify(mode)), map: null };
    },
  };
}
