// Types of bench/prng.mjs for the TypeScript tests that import it.
/** Mulberry32: a small seeded PRNG returning numbers in [0, 1). */
export declare function prng(seed: number): () => number;
