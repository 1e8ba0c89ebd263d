// Filled by the widget issue.
window.Halo = window.Halo || {};
