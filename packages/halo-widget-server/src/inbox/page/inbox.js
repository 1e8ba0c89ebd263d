// The inbox page. Everything goes through the agent JSON API with the session cookie (HttpOnly:
// this script never sees it). Everything a user, a visitor or their browser sent — messages,
// names, emails, traits, claims — is only ever set as textContent, never parsed as HTML, and
// the page's CSP allows no inline script: nothing they send can run here.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  let me = null;
  let selected = null; // the open conversation's id
  let view = null; // its last loaded answer
  let cursor = null;
  let draftId = null; // client_message_id of the reply being written: kept across retries
  let events = null;

  function status(text, isError = false) {
    $('status').textContent = text;
    $('status').dataset.error = String(isError);
  }

  async function api(method, path, body) {
    const response = await fetch(`/api/agent/${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status === 401 && path !== 'login') {
      signedOut('Your session ended: sign in again.');
      throw new Error('unauthorized');
    }
    if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
    return data;
  }

  async function run(done, fn) {
    try {
      await fn();
      if (done) status(done);
    } catch (error) {
      if (error.message !== 'unauthorized') status(error.message, true);
    }
  }

  /** An element with text content only. */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
  const display = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

  /** Who the user is, in words: name and email when known, else the user id, else an anonymous visitor. */
  function who(user) {
    if (user.name && user.email) return `${user.name} <${user.email}>`;
    if (user.name || user.email) return user.name || user.email;
    if (user.user_id) return `user ${user.user_id}`;
    return 'Anonymous visitor';
  }

  function verifiedBadge(user) {
    const anonymous = !user.user_id;
    const text = anonymous ? 'anonymous' : user.verified ? 'verified' : 'unverified';
    return el('span', `badge ${anonymous ? '' : text}`, text);
  }

  function signedOut(message) {
    me = null;
    events?.close();
    events = null;
    $('app').hidden = true;
    $('team').hidden = true;
    $('logout').hidden = true;
    $('admin-link').hidden = true;
    $('whoami').textContent = '';
    $('login').hidden = false;
    if (message) status(message, true);
  }

  async function signedIn(agent) {
    me = agent;
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    $('whoami').textContent = `${agent.name} (${agent.role})`;
    $('admin-link').hidden = agent.role !== 'admin';
    $('team').hidden = agent.role !== 'admin';
    listen();
    await Promise.all([loadList(), agent.role === 'admin' ? loadAgents() : null]);
  }

  function query() {
    const params = new URLSearchParams();
    const pairs = [
      ['status', $('f-status').value],
      ['verified', $('f-verified').value],
      ['widget_key', $('f-project').value.trim()],
      ['q', $('q').value.trim()],
    ];
    for (const [name, value] of pairs) if (value) params.set(name, value);
    return params;
  }

  function item(c) {
    const li = el('li', c.last_author === 'user' ? 'unread' : '');
    li.dataset.id = c.id;
    li.setAttribute('aria-selected', String(c.id === selected));
    const top = el('div', 'row');
    top.append(el('span', 'who', who(c.user)), verifiedBadge(c.user));
    if (c.last_author === 'user') top.append(el('span', 'badge unread', 'unread'));
    if (c.status === 'resolved') top.append(el('span', 'badge resolved', 'resolved'));
    const bottom = el('div', 'row');
    bottom.append(el('span', 'preview', c.last_text ?? ''), el('span', 'time', when(c.last_message_at)));
    li.append(top, bottom, el('div', 'hint', c.project));
    li.addEventListener('click', () => void run('', () => open(c.id)));
    return li;
  }

  async function loadList(append = false) {
    const params = query();
    if (append && cursor) params.set('after', cursor);
    const page = await api('GET', `conversations?${params}`);
    cursor = page.next;
    const items = page.conversations.map(item);
    if (append) $('conversations').append(...items);
    else $('conversations').replaceChildren(...items);
    $('more').hidden = !cursor;
  }

  function author(message, user) {
    if (message.author === 'agent') return message.agent?.name ?? 'Agent';
    if (message.author === 'assistant') return 'AI';
    // An unverified message is not labelled with the verified name: it only claims the user id.
    if (message.unverified) return user.user_id ? `someone claiming user ${user.user_id}` : 'Anonymous visitor';
    return who(user);
  }

  function renderView() {
    const { conversation: c, messages, user } = view;
    const listed = { ...userOf(c.owner), ...summaryUser(user) };
    $('empty').hidden = true;
    $('view').hidden = false;
    $('view-title').textContent = who(listed);
    $('view-badge').replaceWith(Object.assign(verifiedBadge(listed), { id: 'view-badge' }));
    $('view-meta').textContent =
      `${c.project} · ${c.status}${c.assignee ? ` · assigned to ${c.assignee === me.id ? 'me' : c.assignee}` : ''}`;
    $('toggle-status').textContent = c.status === 'open' ? 'Resolve' : 'Reopen';
    $('assign').hidden = c.assignee === me.id;
    $('messages').replaceChildren(
      ...messages.map((m) => {
        const li = el('li', `${m.author}${m.unverified ? ' unverified' : ''}`);
        const head = el('div');
        head.append(el('span', 'author', author(m, listed)), el('span', 'time', when(m.created_at)));
        li.append(head, el('div', 'text', m.text));
        if (m.unverified) li.append(el('div', 'warning', 'not verified — could be anyone claiming this user id'));
        return li;
      }),
    );
    $('messages').scrollTop = $('messages').scrollHeight;
    renderPanel(user);
  }

  function userOf(owner) {
    const [kind, ...rest] = owner.split(':');
    const id = rest.join(':');
    return { user_id: kind === 'user' ? id : null, visitor_id: kind === 'visitor' ? id : null, name: null, email: null, verified: false };
  }

  /** The browser's traits as plain values (the panel gives each as { value, verified }). */
  const traitValues = (panel) => Object.fromEntries(Object.entries(panel?.client_traits ?? {}).map(([k, t]) => [k, t?.value]));

  /** The list's view of the user from the panel: claims when verified, else the browser's traits. */
  function summaryUser(panel) {
    const source = panel?.verified_claims ?? traitValues(panel);
    return {
      name: typeof source.name === 'string' ? source.name : null,
      email: typeof source.email === 'string' ? source.email : null,
      verified: Boolean(panel?.verified_claims),
    };
  }

  function fillList(dl, entries) {
    dl.replaceChildren(...entries.flatMap(([k, v]) => [el('dt', '', k), el('dd', '', display(v))]));
  }

  function renderPanel(panel) {
    $('panel-pane').hidden = false;
    const claims = Object.entries(panel?.verified_claims ?? {});
    // A trait an unverified request set says so: it is what someone claiming this user typed.
    const traits = Object.entries(panel?.client_traits ?? {}).map(([k, t]) => [t?.verified ? k : `${k} (unverified)`, t?.value]);
    fillList($('claims'), claims);
    fillList($('traits'), traits);
    $('no-claims').hidden = claims.length > 0;
    $('no-traits').hidden = traits.length > 0;
    fillList($('seen'), [
      ['first', when(panel?.first_seen) || '—'],
      ['last', when(panel?.last_seen) || '—'],
    ]);
  }

  async function open(id) {
    if (id !== selected) draftId = null;
    selected = id;
    view = await api('GET', `conversations/${encodeURIComponent(id)}`);
    for (const li of $('conversations').children) li.setAttribute('aria-selected', String(li.dataset.id === id));
    renderView();
  }

  async function loadAgents() {
    const { agents } = await api('GET', 'agents');
    $('agents').replaceChildren(
      ...agents.map((a) => el('li', '', `${a.name} <${a.email}> · ${a.role} · ${a.projects ? a.projects.join(', ') : 'all projects'}`)),
    );
  }

  /** The live stream: any event reloads the list, and the open conversation when it is the one that changed. */
  function listen() {
    events?.close();
    events = new EventSource('/api/agent/events');
    let pending = null;
    const changed = (event) => {
      const data = JSON.parse(event.data);
      clearTimeout(pending);
      // Several events in a burst make one reload.
      pending = setTimeout(() => {
        void run('', async () => {
          await loadList();
          if (data.conversation_id === selected) await open(selected);
        });
      }, 100);
    };
    // A reconnect (a restart, a dropped connection) may have missed events: reload what is shown.
    let opened = false;
    events.addEventListener('open', () => {
      if (opened) changed({ data: JSON.stringify({ conversation_id: selected }) });
      opened = true;
    });
    events.addEventListener('message.created', changed);
    events.addEventListener('conversation.updated', changed);
    // The server's store listener reconnected and events may be lost: reload what is shown.
    events.addEventListener('resync', () => changed({ data: JSON.stringify({ conversation_id: selected }) }));
  }

  function wire() {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const body = { email: $('email').value.trim(), password: $('password').value };
      $('password').value = '';
      void run('Signed in.', async () => signedIn((await api('POST', 'login', body)).agent));
    });
    $('logout').addEventListener(
      'click',
      () =>
        void run('', async () => {
          await api('POST', 'logout', {});
          signedOut();
          status('Signed out.');
        }),
    );
    let typing = null;
    const reload = () => void run('', () => loadList());
    $('q').addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(reload, 250);
    });
    for (const id of ['f-status', 'f-verified', 'f-project']) $(id).addEventListener('change', reload);
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      reload();
    });
    $('more').addEventListener('click', () => void run('', () => loadList(true)));
    $('reply-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = $('reply').value.trim();
      if (!text || !selected) return;
      draftId ??= crypto.randomUUID();
      const id = selected;
      void run('Reply sent.', async () => {
        await api('POST', `conversations/${encodeURIComponent(id)}/messages`, { text, client_message_id: draftId });
        draftId = null;
        $('reply').value = '';
        await open(id);
      });
    });
    $('reply').addEventListener('input', () => {
      // A changed text is a new message, not a retry of the last one.
      draftId = null;
    });
    $('toggle-status').addEventListener('click', () => {
      const next = view.conversation.status === 'open' ? 'resolved' : 'open';
      void run(next === 'open' ? 'Reopened.' : 'Resolved.', async () => {
        await api('POST', `conversations/${encodeURIComponent(selected)}/status`, { status: next });
        await Promise.all([open(selected), loadList()]);
      });
    });
    $('assign').addEventListener(
      'click',
      () =>
        void run('Assigned to you.', async () => {
          await api('POST', `conversations/${encodeURIComponent(selected)}/assignee`, { assignee: 'me' });
          await open(selected);
        }),
    );
    $('agent-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const projects = $('a-projects')
        .value.split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const body = {
        email: $('a-email').value.trim(),
        name: $('a-name').value.trim(),
        role: $('a-role').value,
        projects: projects.length ? projects : null,
        password: $('a-password').value,
      };
      $('a-password').value = '';
      void run('Account added.', async () => {
        await api('POST', 'agents', body);
        await loadAgents();
      });
    });
  }

  wire();
  // An existing session (the cookie) opens the inbox without a new sign-in.
  fetch('/api/agent/me', { cache: 'no-store', credentials: 'same-origin' })
    .then(async (response) => {
      const agent = response.ok ? (await response.json()).agent : null;
      if (agent) await signedIn(agent);
      else signedOut();
    })
    .catch((error) => status(`Could not reach the server: ${error.message}`, true));
})();
