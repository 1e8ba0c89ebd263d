// Placeholder so the SDK's lazy import resolves; the widget issue replaces this file.
import type { MountWidget } from '../sdk/ui.js';

export const mountWidget: MountWidget = () => ({ open() {}, close() {}, destroy() {} });
