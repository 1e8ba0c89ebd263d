export { HaloError, isHaloError } from './errors.js';
export type { HaloErrorCode } from './errors.js';
