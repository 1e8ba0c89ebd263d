// The security settings page. Everything goes through the admin JSON API with the operator
// token, which lives in this module's memory only: never in storage, a cookie or a URL, so
// a reload (or another tab) asks for it again. Text from the server (user ids in the report,
// audit details) is only ever set as textContent, never parsed as HTML.
'use strict';
(() => {
  let token = null;
  let projects = [];
  let current = null;
  let report = null;
  const $ = (id) => document.getElementById(id);

  function status(text, isError = false) {
    $('status').textContent = text;
    $('status').dataset.error = String(isError);
  }

  async function api(method, path, body) {
    // With the token, only the token; without it, an admin account's session cookie (from /inbox).
    const headers = token ? { Authorization: `Bearer ${token}`, 'Halo-Operator': 'admin page' } : {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`/api/admin/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: token ? 'omit' : 'same-origin',
    });
    const data = await response.json().catch(() => null);
    if (response.status === 401) {
      lock('The operator token was refused: enter it again.');
      throw new Error('unauthorized');
    }
    if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
    return data;
  }

  function lock(message) {
    token = null;
    $('app').hidden = true;
    $('login').hidden = false;
    status(message, true);
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

  function renderProject() {
    const p = current;
    $('project').replaceChildren(
      ...projects.map((q) => {
        const option = new Option(q.widgetKey, q.widgetKey, false, q.widgetKey === p.widgetKey);
        return option;
      }),
    );
    const activeCount = p.secrets.filter((s) => !s.retiredAt).length;
    fill(
      $('secrets').tBodies[0],
      p.secrets.map((s) => {
        const row = document.createElement('tr');
        row.dataset.secretId = s.id;
        if (s.retiredAt) row.className = 'retired';
        cell(row, s.id, 'mono');
        cell(row, s.hint ? `…${s.hint}` : '—', 'mono');
        cell(row, when(s.createdAt));
        cell(row, s.retiredAt ? `retired ${when(s.retiredAt)}` : 'active');
        const actions = cell(row, '');
        if (!s.retiredAt) {
          const retire = document.createElement('button');
          retire.type = 'button';
          retire.className = 'danger';
          retire.textContent = 'Retire';
          retire.disabled = activeCount === 1 && p.effectiveMode !== 'off';
          retire.title = retire.disabled
            ? 'Generate a new secret first (or set the mode to off)'
            : 'Tokens signed with this secret are refused from now on';
          retire.addEventListener('click', () => void retireSecret(s.id));
          actions.append(retire);
        }
        return row;
      }),
    );
    for (const input of document.querySelectorAll('input[name="mode"]')) input.checked = input.value === p.effectiveMode;
    $('effective-mode').textContent = p.mode ? p.effectiveMode : `${p.effectiveMode} (default)`;
    $('origins').value = (p.allowedOrigins ?? []).join('\n');
    $('lifetime').value = p.maxTokenLifetime ?? '';
    renderAi(p.ai);
  }

  /** The AI section: the server says whether the key variable is set (apiKeySet), never the key. */
  function renderAi(ai) {
    $('ai-base-url').value = ai?.baseUrl ?? '';
    $('ai-model').value = ai?.model ?? '';
    $('ai-key-env').value = ai?.apiKeyEnv ?? '';
    $('ai-instructions').value = ai?.instructions ?? '';
    $('ai-state').textContent = !ai
      ? 'Off: the default respond() answers.'
      : ai.apiKeySet
        ? `On: ${ai.model} answers. ${ai.apiKeyEnv} is set on the server.`
        : `${ai.apiKeyEnv} is not set on the server: respond() answers until it is.`;
    $('ai-state').dataset.error = String(Boolean(ai && !ai.apiKeySet));
    $('clear-ai').disabled = !ai;
  }

  function renderReport() {
    if (!report) return;
    const win = report.windows[$('window').value];
    const verdict = $('verdict');
    verdict.textContent = win.verdict.text;
    verdict.className = `verdict ${win.verdict.safe ? 'safe' : 'unsafe'}`;
    fill(
      $('report').tBodies[0],
      Object.entries(win.results)
        .filter(([name, line]) => line.requests > 0 || name !== 'verification_off')
        .map(([name, line]) => {
          const row = document.createElement('tr');
          row.dataset.result = name;
          cell(row, name, 'mono');
          cell(row, String(line.requests), 'num');
          cell(row, name === 'anonymous' ? '—' : `${line.usersCapped ? '≥ ' : ''}${line.users}`, 'num');
          cell(row, line.lastSeen ? when(line.lastSeen) : '—');
          cell(row, line.examples.join(', '), 'mono');
          return row;
        }),
    );
    $('reject-share').textContent =
      `Enforce would refuse ${win.wouldReject} of ${win.identifiedRequests} identified requests (${(win.rejectShare * 100).toFixed(1)} %) since ${when(win.from)}.`;
    $('likely-attacks').textContent = win.likelyAttacks.users
      ? `Likely attacks: ${win.likelyAttacks.users} user id(s) came with forged-looking tokens (e.g. ${win.likelyAttacks.examples.join(', ')}); enforce refuses them.`
      : '';
    const versions = Object.entries(win.sdkVersions).map(([v, n]) => `${v}: ${n}`);
    $('sdk-versions').textContent = `SDK versions seen: ${versions.length ? versions.join(', ') : 'none'}.`;
  }

  async function loadAudit() {
    const { audit } = await api('GET', `projects/${encodeURIComponent(current.widgetKey)}/audit?limit=50`);
    fill(
      $('audit').tBodies[0],
      audit.map((entry) => {
        const row = document.createElement('tr');
        cell(row, when(entry.at));
        cell(row, entry.actor);
        cell(row, entry.action, 'mono');
        cell(row, JSON.stringify(entry.detail), 'mono');
        return row;
      }),
    );
  }

  async function loadReport() {
    report = await api('GET', `projects/${encodeURIComponent(current.widgetKey)}/identity-report`);
    renderReport();
  }

  async function loadAiUsage() {
    const { ai_usage: u } = await api('GET', `projects/${encodeURIComponent(current.widgetKey)}/ai-usage`);
    $('ai-usage').textContent =
      `AI replies: ${u.replies}, ${u.prompt_tokens} prompt + ${u.completion_tokens} completion tokens (as the model reported them).`;
  }

  // The last project chosen wins: an answer for an earlier choice (the first load, a quick
  // change of mind) that arrives later must not put that project back on screen.
  let choice = 0;
  async function select(widgetKey) {
    const mine = ++choice;
    const { project } = await api('GET', `projects/${encodeURIComponent(widgetKey)}`);
    if (mine !== choice) return;
    current = project;
    renderProject();
    await Promise.all([loadAudit(), loadReport(), loadAiUsage()]);
  }

  async function loadProjects(preferred) {
    ({ projects } = await api('GET', 'projects'));
    if (!projects.length) ({ project: current } = await api('POST', 'projects', {}));
    if (!projects.length) projects = [current];
    const key = projects.some((p) => p.widgetKey === preferred) ? preferred : projects[0].widgetKey;
    await select(key);
  }

  /** Runs an action and reports its outcome in the status line. */
  async function run(label, action) {
    try {
      await action();
      status(label);
    } catch (error) {
      if (error.message !== 'unauthorized') status(error.message, true);
    }
  }

  const path = (suffix) => `projects/${encodeURIComponent(current.widgetKey)}${suffix}`;
  const changed = async (project) => {
    current = project;
    projects = projects.map((p) => (p.widgetKey === project.widgetKey ? project : p));
    renderProject();
    await Promise.all([loadAudit(), loadReport(), loadAiUsage()]);
  };

  async function retireSecret(id) {
    await run(`Secret ${id} retired: tokens signed with it are refused from now on.`, async () => {
      const { project } = await api('POST', path(`/secrets/${id}/retire`), {});
      await changed(project);
    });
  }

  /** Copies through the Clipboard API, which only secure contexts (https, localhost) have. */
  function copy(text, done) {
    const fallback = () => status('The browser blocked copying: select the text and press Ctrl+C.', true);
    if (!navigator.clipboard) return fallback();
    navigator.clipboard.writeText(text).then(() => status(done), fallback);
  }

  function wire() {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      token = $('token').value.trim();
      $('token').value = '';
      void run('Signed in.', async () => {
        await loadProjects();
        $('login').hidden = true;
        $('app').hidden = false;
      });
    });
    $('project').addEventListener('change', () => void run('', () => select($('project').value)));
    $('new-project').addEventListener(
      'click',
      () =>
        void run('Project created.', async () => {
          const { project } = await api('POST', 'projects', {});
          await loadProjects(project.widgetKey);
        }),
    );
    $('copy-key').addEventListener('click', () => copy(current.widgetKey, 'Widget key copied.'));
    $('generate').addEventListener(
      'click',
      () =>
        void run('New secret generated: copy it now.', async () => {
          const { secret, project } = await api('POST', path('/secrets'), {});
          $('new-secret-value').value = secret;
          $('new-secret').hidden = false;
          await changed(project);
        }),
    );
    $('copy-secret').addEventListener('click', () => {
      const field = $('new-secret-value');
      field.select();
      copy(field.value, 'Secret copied to the clipboard.');
    });
    $('dismiss-secret').addEventListener('click', () => {
      // Gone from the page for good: the server never shows it again.
      $('new-secret-value').value = '';
      $('new-secret').hidden = true;
    });
    $('save-mode').addEventListener('click', () => {
      const mode = document.querySelector('input[name="mode"]:checked')?.value;
      // The CLI exits 3 here; the page asks (the verdict of the window on screen).
      const win = report?.windows[$('window').value];
      if (mode === 'enforce' && current.effectiveMode !== 'enforce' && win && !win.verdict.safe) {
        if (!window.confirm(`The rollout report says: ${win.verdict.text}\n\nSwitch to enforce anyway?`)) return;
      }
      void run(`Mode set to ${mode}.`, async () => changed((await api('PATCH', path('/settings'), { mode })).project));
    });
    $('save-settings').addEventListener('click', () => {
      const origins = $('origins')
        .value.split('\n')
        .map((o) => o.trim())
        .filter(Boolean);
      const lifetime = $('lifetime').value.trim();
      const body = { allowedOrigins: origins.length ? origins : null, maxTokenLifetime: lifetime || null };
      void run('Settings saved.', async () => changed((await api('PATCH', path('/settings'), body)).project));
    });
    $('save-ai').addEventListener('click', () => {
      // The limits set elsewhere (API, config file) are kept: the page edits the four main fields.
      const keep = {};
      for (const name of [
        'timeoutMs',
        'maxTokens',
        'callsPerMinute',
        'includeClientTraits',
        'historyWindow',
        'historyChars',
        'handoffTool',
      ])
        if (current.ai) keep[name] = current.ai[name];
      const body = {
        ...keep,
        baseUrl: $('ai-base-url').value.trim(),
        model: $('ai-model').value.trim(),
        apiKeyEnv: $('ai-key-env').value.trim(),
        instructions: $('ai-instructions').value,
      };
      void run('AI replies saved.', async () => changed((await api('PUT', path('/ai'), body)).project));
    });
    $('clear-ai').addEventListener('click', () => {
      void run('AI replies cleared: the default respond() answers.', async () => changed((await api('DELETE', path('/ai'), {})).project));
    });
    $('window').addEventListener('change', renderReport);
    $('refresh-report').addEventListener('click', () => void run('Report refreshed.', loadReport));
  }

  wire();
  // An admin account signed in at /inbox opens the page without the token.
  fetch('/api/admin/session', { cache: 'no-store', credentials: 'same-origin' })
    .then((response) => (response.ok ? response.json() : null))
    .then((session) => {
      if (!session?.account) return;
      void run(`Signed in as ${session.account}.`, async () => {
        await loadProjects();
        $('login').hidden = true;
        $('app').hidden = false;
      });
    })
    .catch((error) => status(`Could not reach the server: ${error.message}`, true));
})();
