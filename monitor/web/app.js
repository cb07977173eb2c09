// dcp monitor page: live state from /api/events (Server-Sent Events, read
// by events.js), a run's tasks from /api/runs/{id}/tasks, and the operator's
// actions (trigger, retry, cancel) as POSTs with the monitor's token.
// Everything shown comes from the database or the API and is inserted as text
// (textContent), never as markup.
//
// The token is asked for when needed (an action, or a 401 answer), kept in
// this tab's sessionStorage only (never a URL, a cookie or localStorage), and
// sent as "Authorization: Bearer" on every API call, GETs included (a monitor
// with a read token needs it there). A 401 forgets it and asks again.
'use strict';

const state = { runs: [], selected: null, selectedRun: null, tasks: [], failed: [] };
// busy: an action's request (or its token prompt) is in flight; mutations:
// false once the monitor said 403 (it has no token: no action can work).
const ui = { busy: false, mutations: true };

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function fill(tbody, rows) { tbody.replaceChildren(...rows); }

function duration(s) {
  if (s === null || s === undefined) return '-';
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
  return Math.floor(s / 3600) + ' h ' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + ' min';
}

function bar(run) {
  const outer = el('span', null, 'bar');
  const inner = el('div', null, run.counts.FAILED > 0 ? 'failed' : '');
  inner.style.width = (run.total > 0 ? Math.min(100, 100 * run.done / run.total) : 100) + '%';
  outer.appendChild(inner);
  const wrap = el('span');
  wrap.append(outer, ' ' + run.done + '/' + run.total);
  return wrap;
}

function statusCell(status) { return el('span', status, 'status s-' + status); }

// A run's export step: "-" without one, else its status (and attempt).
function exportText(r) {
  if (!r.export) return '-';
  return r.export.status + (r.export.attempt > 1 ? ' (attempt ' + r.export.attempt + ')' : '');
}

function renderRuns() {
  const rows = state.runs.map(r => {
    const tr = row([r.run_id.slice(0, 8), r.trigger, r.created_at, statusCell(r.status), bar(r),
                    r.rate.toFixed(2) + '/s', r.eta_seconds === null ? '-' : duration(r.eta_seconds),
                    r.job, exportText(r)]);
    tr.className = 'run' + (r.run_id === state.selected ? ' selected' : '');
    tr.dataset.runId = r.run_id;
    tr.title = r.run_id;
    tr.addEventListener('click', () => select(r.run_id));
    return tr;
  });
  fill(document.querySelector('#runs tbody'), rows);
  const run = state.runs.find(r => r.run_id === state.selected);
  if (run) {
    document.getElementById('run-status').textContent = run.status;
    document.getElementById('run-status').className = 'status s-' + run.status;
    const notes = [];
    if (run.error) notes.push('failed before publishing: ' + run.error);
    if (run.export && run.export.error) notes.push('export FAILED: ' + run.export.error);
    document.getElementById('run-notes').textContent = notes.join(' · ');
  }
  updateActions();
}

function renderTasks() {
  const selection = document.getElementById('selection-filter').value.trim();
  const rows = state.tasks.filter(t => !selection || t.selection.includes(selection)).map(t => row([
    t.seq, statusCell(t.status), t.selection, t.start ? t.start + ' .. ' + t.end : '-', t.attempt,
    t.worker || '-', duration(t.duration_seconds), t.error]));
  fill(document.querySelector('#tasks tbody'), rows);
  const items = state.failed.map(t => {
    const li = el('li');
    li.append(el('strong', t.selection || t.task_id), ' ' + (t.start || '') + ' ',
              el('span', '(attempt ' + t.attempt + ', ' + (t.worker || 'no worker') + ') '),
              el('span', t.error, 'error'));
    return li;
  });
  document.getElementById('failed').replaceChildren(...items);
  document.getElementById('failed-empty').hidden = items.length > 0;
}

function renderWorkers(workers) {
  fill(document.querySelector('#workers tbody'), workers.map(w => row([
    w.worker_id, w.host, w.last_seen + ' (' + duration(w.seconds_since_seen) + ' ago)', w.tasks_done,
    w.in_flight, w.current_task || '-', w.stopped_at ? 'stopped' : (w.alive ? 'alive' : 'silent')])));
}

function renderQueue(q) {
  document.getElementById('queue-name').textContent = q.queue || '';
  document.getElementById('queue-now').textContent = q.error ? 'broker: ' + q.error :
    'depth ' + q.depth + ', consumers ' + q.consumers + ', dead letters ' + q.dead;
  const svg = document.getElementById('queue-chart');
  const ns = 'http://www.w3.org/2000/svg';
  const points = q.history || [];
  const max = Math.max(1, ...points.map(p => p.depth));
  const w = 600, h = 120, pad = 18;
  const xs = i => points.length < 2 ? w - pad : pad + (w - 2 * pad) * i / (points.length - 1);
  const ys = d => h - pad - (h - 2 * pad) * d / max;
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.map((p, i) => xs(i) + ',' + ys(p.depth)).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#3b7ddd');
  line.setAttribute('stroke-width', '2');
  const label = document.createElementNS(ns, 'text');
  label.setAttribute('x', '4');
  label.setAttribute('y', '12');
  label.setAttribute('font-size', '11');
  label.textContent = 'max ' + max + ' — last ' + points.length + ' samples';
  svg.replaceChildren(line, label);
}

// --- The token: this tab's sessionStorage, or memory if storage is refused.
const kTokenKey = 'dcp-monitor-token';
const tokenStore = {
  memory: '',
  get() {
    try { return sessionStorage.getItem(kTokenKey) || ''; } catch { return this.memory; }
  },
  set(value) {
    try { sessionStorage.setItem(kTokenKey, value); } catch { this.memory = value; }
  },
  clear() {
    try { sessionStorage.removeItem(kTokenKey); } catch { /* nothing stored */ }
    this.memory = '';
  },
};
let tokenWaiters = [];     // askToken's callers, answered when the dialog closes
let tokenSetWaiters = [];  // whenTokenSet's callers, answered by the next token

function authHeaders() {
  const token = tokenStore.get();
  return token ? { Authorization: 'Bearer ' + token } : {};
}

function renderTokenState() {
  const has = tokenStore.get() !== '';
  document.getElementById('token-state').textContent = has ? 'token set (this tab)' : 'no token';
  document.getElementById('token-enter').hidden = has;
  document.getElementById('token-forget').hidden = !has;
}

function setToken(value) {
  tokenStore.set(value);
  renderTokenState();
  const waiters = tokenSetWaiters;
  tokenSetWaiters = [];
  for (const resolve of waiters) resolve(value);
}

// After a 401 to a request that carried `sent`: forget it (unless another
// token was entered meanwhile).
function forgetRefused(sent) {
  if (tokenStore.get() === sent) tokenStore.clear();
  renderTokenState();
}

// Opens the token dialog (or updates its reason if open); resolves with the
// token entered, or '' if the dialog was cancelled.
function askToken(reason) {
  const dialog = document.getElementById('token-dialog');
  document.getElementById('token-reason').textContent = reason;
  if (!dialog.open) {
    document.getElementById('token-input').value = '';
    dialog.showModal();
  }
  return new Promise(resolve => tokenWaiters.push(resolve));
}

function answerToken(value) {
  const dialog = document.getElementById('token-dialog');
  if (dialog.open) dialog.close();
  if (value) setToken(value);
  const waiters = tokenWaiters;
  tokenWaiters = [];
  for (const resolve of waiters) resolve(value);
}

const whenTokenSet = () => new Promise(resolve => tokenSetWaiters.push(resolve));

// A GET answered 401: the monitor has a read token.
function readRefused(sent, error) {
  forgetRefused(sent);
  askToken('This monitor needs a token to show its data (' + error + ').' +
           (sent ? ' The token given was refused.' : ''));
}

async function getJson(path) {
  const sent = tokenStore.get();
  const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  const body = await response.json().catch(() => null);
  if (response.status === 401) readRefused(sent, (body && body.error) || 'HTTP 401');
  return response.ok ? body : null;
}

// --- Actions.
const plural = (n, what) => n + ' ' + what + (n === 1 ? '' : 's');

function feedback(text, kind) {
  const p = document.getElementById('feedback');
  p.textContent = text;
  p.className = kind || '';
  p.hidden = false;
}

const selectedRun = () => state.runs.find(r => r.run_id === state.selected) ||
  (state.selectedRun && state.selectedRun.run_id === state.selected ? state.selectedRun : null);

function updateActions() {
  document.getElementById('trigger-section').hidden = !ui.mutations;
  document.getElementById('run-actions').hidden = !ui.mutations;
  document.getElementById('trigger-button').disabled = ui.busy;
  const run = selectedRun();
  document.getElementById('retry-button').disabled =
    ui.busy || !run || !(run.counts.FAILED > 0) || run.status === 'CANCELLED';
  document.getElementById('cancel-button').disabled =
    ui.busy || !run || !['PUBLISHING', 'RUNNING'].includes(run.status);
}

function mutationsOff(error) {
  ui.mutations = false;
  const note = document.getElementById('mutations-off');
  note.textContent = 'Actions are off: this monitor has no token configured, so it refuses every ' +
    'change (' + error + '). Trigger, retry and cancel with the dcp command, or set DCP_MONITOR_TOKEN.';
  note.hidden = false;
  updateActions();
}

// POSTs `body` (if any) to `path` with the token, asking for it first if
// there is none and again after a 401 (nothing was done then). Returns the
// answer's JSON, or null after showing why not. One action at a time: the
// buttons are disabled meanwhile, and a second call returns null at once.
async function mutate(what, path, body) {
  if (ui.busy || !ui.mutations) return null;
  ui.busy = true;
  updateActions();
  feedback(what + '…', 'pending');
  try {
    let reason = "The monitor's token (DCP_MONITOR_TOKEN) is needed to " + what + '.';
    for (;;) {
      let sent = tokenStore.get();
      if (!sent) {
        sent = await askToken(reason);
        if (!sent) {
          feedback(what + ': nothing done (no token given)', 'error');
          return null;
        }
      }
      const response = await fetch(path, {
        method: 'POST',
        cache: 'no-store',
        headers: { Authorization: 'Bearer ' + sent, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      const error = answer.error || 'HTTP ' + response.status;
      if (response.status === 401) {
        forgetRefused(sent);
        reason = 'The monitor refused the token (' + error + '); nothing was done. Enter it again to ' +
          what + '.';
        continue;
      }
      if (response.status === 403) {
        mutationsOff(error);
        feedback(what + ': refused, ' + error, 'error');
        return null;
      }
      if (!response.ok) {
        feedback(what + ' failed: ' + error, 'error');
        return null;
      }
      return answer;
    }
  } catch (e) {
    feedback(what + ': no answer (' + e.message + '); look at the runs before trying again', 'error');
    return null;
  } finally {
    ui.busy = false;
    updateActions();
  }
}

async function triggerRun(event) {
  event.preventDefault();
  const body = {};
  for (const field of ['from', 'to', 'window', 'selections']) {
    const value = document.getElementById('trigger-' + field).value.trim();
    if (value) body[field] = value;  // absent: the job's default
  }
  const answer = await mutate('trigger a run', '/api/runs', body);
  if (!answer) return;
  feedback('run ' + answer.run_id + ' triggered: ' + plural(answer.tasks, 'task'), 'ok');
  select(answer.run_id);
}

async function retryRun() {
  const run = selectedRun();
  if (!run || ui.busy) return;
  const answer = await mutate('retry run ' + run.run_id, '/api/runs/' + encodeURIComponent(run.run_id) + '/retry');
  if (!answer) return;
  feedback('run ' + answer.run_id + ': ' + (answer.requeued === 0 ? 'no FAILED task to requeue' :
    plural(answer.requeued, 'task') + ' requeued (' + answer.published + ' published)'), 'ok');
  loadTasks();
}

async function cancelRun() {
  const run = selectedRun();
  if (!run || ui.busy) return;
  if (!confirm('Cancel run ' + run.run_id + '?\nIts QUEUED tasks become CANCELLED; this cannot be undone.')) {
    feedback('cancel run ' + run.run_id + ': not confirmed, nothing done');
    return;
  }
  const answer = await mutate('cancel run ' + run.run_id, '/api/runs/' + encodeURIComponent(run.run_id) + '/cancel');
  if (!answer) return;
  feedback('run ' + answer.run_id + ' cancelled: ' + plural(answer.tasks_cancelled, 'queued task') +
    ' cancelled', 'ok');
  loadTasks();
}

// Whether this monitor takes actions at all, before an operator tries one:
// a POST without credentials changes nothing and answers 401 when mutations
// are on, 403 when the monitor has no token.
async function probeMutations() {
  try {
    const response = await fetch('/api/runs', { method: 'POST', cache: 'no-store' });
    if (response.status === 403) mutationsOff(((await response.json().catch(() => ({}))).error) || 'HTTP 403');
  } catch { /* the monitor is down: the connection badge says so */ }
}

// --- Data.
async function loadTasks() {
  if (!state.selected) return;
  const id = encodeURIComponent(state.selected);
  const filter = document.getElementById('task-filter').value;
  const inSnapshot = state.runs.some(r => r.run_id === state.selected);
  const [tasks, failed, run] = await Promise.all([
    getJson('/api/runs/' + id + '/tasks' + (filter ? '?status=' + encodeURIComponent(filter) : '')),
    getJson('/api/runs/' + id + '/tasks?status=FAILED'),
    inSnapshot ? null : getJson('/api/runs/' + id)]);
  if (Array.isArray(tasks)) state.tasks = tasks;
  if (Array.isArray(failed)) state.failed = failed;
  if (run && run.run_id) state.selectedRun = run;
  renderTasks();
  updateActions();
}

function select(runId) {
  state.selected = runId;
  document.getElementById('run-section').hidden = false;
  document.getElementById('run-id').textContent = runId;
  renderRuns();
  loadTasks();
}

function onSnapshot(snapshot) {
  document.getElementById('updated').textContent = 'updated ' + (snapshot.at || '');
  if (snapshot.error) { document.getElementById('connection').textContent = snapshot.error; return; }
  state.runs = snapshot.runs || [];
  if (!state.selected && state.runs.length > 0) select(state.runs[0].run_id);
  renderRuns();
  renderWorkers(snapshot.workers || []);
  renderQueue(snapshot.queue || {});
  loadTasks();
}

function setBadge(text, className) {
  const badge = document.getElementById('connection');
  badge.textContent = text;
  badge.className = 'badge ' + className;
}

document.getElementById('task-filter').addEventListener('change', loadTasks);
document.getElementById('selection-filter').addEventListener('input', renderTasks);
document.getElementById('trigger-form').addEventListener('submit', triggerRun);
document.getElementById('retry-button').addEventListener('click', retryRun);
document.getElementById('cancel-button').addEventListener('click', cancelRun);
document.getElementById('token-form').addEventListener('submit', e => {
  e.preventDefault();
  answerToken(document.getElementById('token-input').value.trim());
});
document.getElementById('token-cancel').addEventListener('click', () => answerToken(''));
document.getElementById('token-dialog').addEventListener('cancel', e => { e.preventDefault(); answerToken(''); });
document.getElementById('token-enter').addEventListener('click', () => {
  askToken("The monitor's token: DCP_MONITOR_TOKEN for actions (or its read token, if it has one).");
});
const params = new URLSearchParams(location.search);
if (params.get('run')) select(params.get('run'));
renderTokenState();
updateActions();
probeMutations();

let streamToken = '';  // the token the event stream was last opened with
const events = streamEvents('/api/events', {
  headers: () => {
    streamToken = tokenStore.get();
    return authHeaders();
  },
  onOpen: () => setBadge('live', 'live'),
  onEvent: (type, data) => { if (type === 'snapshot') onSnapshot(JSON.parse(data)); },
  onDown: () => setBadge('reconnecting…', 'down'),
  onUnauthorized: error => {
    setBadge('token needed', 'down');
    readRefused(streamToken, error);
    return whenTokenSet();
  },
});
document.getElementById('token-forget').addEventListener('click', () => {
  tokenStore.clear();
  renderTokenState();
  feedback('token forgotten: this tab no longer holds it');
  events.restart();  // a stream opened with the token ends with it
});
