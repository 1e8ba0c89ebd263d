// The stub `window.Halo` a page inlines before `<script async src=".../halo.js">` (docs/protocol.md, "Script tag").
// Every method queues [name, args, resolve, reject] on `Halo.q` and returns a Promise of
// the real call's result; halo.js replays the queue in order and replaces the stub.
// No top-level variables: this runs as a classic inline script, where they would be globals.
if (!window.Halo)
  'init identify sendMessage history open close isOpen getUnreadCount getPendingMessages cancel on getIdentityState shutdown destroy'
    .split(' ')
    .forEach(
      function (m) {
        var s = (window.Halo = this);
        s[m] = function () {
          var a = arguments;
          var p = new Promise(function (y, n) {
            s.q.push([m, a, y, n]);
          });
          // A failed replay nobody awaited is not an "Uncaught (in promise)" error: the SDK has
          // told onError already; a debug line keeps it visible for the developer.
          p.catch(function (e) {
            console.debug('[halo] Halo.' + m + '() failed:', e);
          });
          return p;
        };
      },
      { q: [] },
    );
