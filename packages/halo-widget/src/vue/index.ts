// `halo-widget/vue`: the Vue 3 composable. Vue is an optional peer dependency.
export { useHalo } from './use-halo.js';
export type { UseHalo } from './use-halo.js';
