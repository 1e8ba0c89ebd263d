// Types of test/helpers/sizes.mjs for the TypeScript tests that import it (test/budgets).
export interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}
export declare const ROOT: string;
export declare const REPO: string;
export declare const BUDGETS: Readonly<{ widgetGzip: number; coreGzip: number; snippetRaw: number; reactAddedGzip: number }>;
export declare function sizesOf(code: string | Buffer): Sizes;
export declare function requireDist(root?: string, files?: string[]): void;
export declare function bundleImport(
  moduleId: string,
  names: string[],
  options?: { root?: string; external?: string[]; alias?: Record<string, string> },
): Promise<{ entry: Sizes & { modules: number; staticImports: number }; chunks: Array<Sizes & { name: string }> }>;
export interface ReactBindingSizes {
  total: Sizes & { modules: number };
  addedGzip: number;
  addedBrotli: number;
}
export declare const REACT_EXPORTS: string[];
export declare function measureReactBinding(options?: { root?: string; core?: Sizes }): Promise<ReactBindingSizes>;
export declare function measureSizes(options?: { root?: string }): Promise<{
  widget: Sizes;
  widgetDev: Sizes;
  core: Sizes & { modules: number; staticImports: number };
  coreDev: Sizes & { modules: number; staticImports: number };
  coreChunks: Array<Sizes & { name: string }>;
  coreDevChunks: Array<Sizes & { name: string }>;
  snippet: Sizes;
  react: ReactBindingSizes;
}>;
export declare function measureAuth0(options?: { root?: string }): Promise<{
  version: string;
  esmFile: Sizes & { file: string };
  bundled: Sizes & { modules: number };
} | null>;
export declare function coreBreakdown(options?: {
  root?: string;
  mode?: 'production' | 'development';
}): Promise<Array<Sizes & { module: string }>>;
