// The demo "customer app": a fake login, a token endpoint, and the app's calls to Halo.
// Served as a file (the page's CSP allows no inline script but the nonce'd snippet).
/* global Halo */
const widgetKey = document.body.dataset.widgetKey;
const pollSeconds = Number(document.body.dataset.pollSeconds);
const $ = (id) => document.getElementById(id);

// What the app knows about its users (a real app renders them from its session).
const USERS = {
  alice: { name: 'Alice Martin', email: 'alice@acme.test', plan: 'pro' },
  bob: { name: 'Bob Stone', email: 'bob@acme.test', plan: 'free' },
};

let session = null;
let userId = 'alice';
let lastTokenUser = null;
let tokenExpiresAt = null;

function log(text, kind = '') {
  const li = document.createElement('li');
  li.className = kind;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  li.append(time, text);
  $('log').prepend(li);
}

function post(path, body = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (session) headers['X-Demo-Session'] = session;
  return fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function login(user) {
  const response = await post('/demo/login', { user });
  const data = await response.json();
  session = data.session;
  userId = data.userId;
  $('who').textContent = `Signed in as ${data.traits.name} (plan ${data.traits.plan})`;
  $('switch').textContent = 'Switch user';
  return data;
}

/** The app backend's token endpoint; never logs the token itself. */
async function fetchToken() {
  const response = await post('/demo/token');
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  return response.json();
}

let signedIn = login('alice');

async function getUserToken() {
  await signedIn;
  try {
    const { token, expiresIn } = await fetchToken();
    log(`${lastTokenUser === userId ? 'Token refreshed' : 'Token fetched'} for ${userId} by getUserToken() (valid ${expiresIn} s)`, 'ok');
    lastTokenUser = userId;
    return token;
  } catch (error) {
    log(`getUserToken() failed: ${error.message} (backend session ended)`, 'bad');
    throw error;
  }
}

/** The SDK's fetch, wrapped to show each API call and the server's identity verdict. */
async function haloFetch(input, init) {
  const response = await fetch(input, init);
  const call = String(input).split('/api/sdk/')[1];
  const identity = response.headers.get('Halo-Identity') ?? '';
  if (response.status === 403) {
    const body = await response
      .clone()
      .json()
      .catch(() => null);
    log(`POST ${call} → 403 (${body?.error?.reason ?? 'forbidden'}): the SDK gets a fresh token and retries once`, 'warn');
  } else {
    log(`POST ${call} → ${response.status} · ${identity}`, response.ok && identity === 'verified' ? 'ok' : 'warn');
  }
  return response;
}

log(`Halo.init() ${'q' in Halo ? 'queued by the snippet (halo.js is still loading)' : 'ran directly'}`);
Halo.init({
  widgetKey,
  userId,
  userTraits: { name: USERS.alice.name, email: USERS.alice.email },
  getUserToken,
  onIdentityExpired: (event) =>
    log(`identityExpired: ${event.userId} (${event.reason}). The app must sign the user in again; messages stay queued.`, 'bad'),
  onError: (error) => log(`onError: ${error.code}: ${error.message}`, error.code === 'token_refresh_failed' ? 'bad' : 'warn'),
  fetch: haloFetch,
});
Halo.on('identity', (state) => {
  tokenExpiresAt = state.tokenExpiresAt;
  log(`identity: ${state.userId ?? 'visitor'} · ${state.status} · verified=${state.verified}`);
});

setInterval(() => {
  const left = tokenExpiresAt && Math.round(tokenExpiresAt - Date.now() / 1000);
  $('exp').textContent = left === null ? '–' : left > 0 ? `${left} s` : 'expired';
}, 1000);
// A widget checks for agent replies now and then; each check is a call, so the refresh shows up.
// Failures already reach onError, which logs them.
setInterval(() => Halo.history().catch(() => {}), pollSeconds * 1000);
$('ttl').textContent = `${document.body.dataset.tokenTtl} s`;

$('switch').addEventListener('click', async () => {
  if (!session) {
    // After "End backend session": the same user signs in again; queued messages go out (nothing-lost).
    signedIn = login(userId);
    await signedIn;
    const { token } = await fetchToken();
    log(`App: ${userId} signed in again → Halo.identify('${userId}', traits, { userToken })`);
    lastTokenUser = userId;
    await Halo.identify(userId, { name: USERS[userId].name, email: USERS[userId].email }, { userToken: token });
    return;
  }
  const next = userId === 'alice' ? 'bob' : 'alice';
  signedIn = login(next);
  await signedIn;
  log(`App: signed in as ${next} → Halo.identify('${next}')`);
  // A failure already reaches onError, which logs it.
  await Halo.identify(next, { name: USERS[next].name, email: USERS[next].email }).catch(() => {});
});

$('end-session').addEventListener('click', async () => {
  await post('/demo/end-session');
  session = null;
  $('who').textContent = 'Backend session ended';
  $('switch').textContent = 'Sign in again';
  log('App backend: session ended. The token endpoint now answers 401.', 'warn');
});

for (const input of document.querySelectorAll('input[name=mode]')) {
  input.checked = input.value === document.body.dataset.mode;
  input.addEventListener('change', async () => {
    await post('/demo/mode', { mode: input.value });
    log(`Server: verification mode → ${input.value}`);
  });
}

$('impersonate').addEventListener('click', async () => {
  const other = userId === 'alice' ? 'bob' : 'alice';
  let token;
  try {
    ({ token } = await fetchToken());
  } catch (error) {
    log(`Impersonation needs a signed-in user: ${error.message}`, 'warn');
    return;
  }
  // What an attacker types in the console: the SDK itself refuses to send a token for another user.
  const response = await fetch('/api/sdk/history', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: widgetKey, user_id: other, user_token: token }),
  });
  const body = await response.json();
  const what = `Impersonating ${other} with ${userId}'s token → ${response.status}`;
  if (response.ok) {
    const first = body.messages.find((m) => m.role === 'user');
    log(
      `${what} (${response.headers.get('Halo-Identity')}): LET THROUGH, read ${body.messages.length} of ${other}'s messages${first ? `: “${first.text}”` : ''}`,
      'bad',
    );
  } else {
    log(`${what} ${body.error.code} (${body.error.reason ?? ''}): rejected`, 'ok');
  }
});

$('rotate').addEventListener('click', async () => {
  await post('/demo/rotate');
  log('Server: identity secret rotated. Tokens signed with the old one are now invalid.', 'warn');
});
