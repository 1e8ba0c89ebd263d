// Filled by the widget issue.
export {};
