/// <reference types="vite/client" />

// The project's keys, from .env (VITE_ variables reach the browser bundle).
interface ImportMetaEnv {
  readonly VITE_HALO_WIDGET_KEY: string;
  readonly VITE_HALO_API: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
