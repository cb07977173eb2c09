// dcp monitor page: live state from /api/events (Server-Sent Events), a
// run's tasks from /api/runs/{id}/tasks. Everything shown comes from the
// database and is inserted as text (textContent), never as markup.
'use strict';

const state = { runs: [], selected: null, tasks: [], failed: [] };

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

async function loadTasks() {
  if (!state.selected) return;
  const id = encodeURIComponent(state.selected);
  const filter = document.getElementById('task-filter').value;
  const [tasks, failed] = await Promise.all([
    fetch('/api/runs/' + id + '/tasks' + (filter ? '?status=' + encodeURIComponent(filter) : '')).then(r => r.json()),
    fetch('/api/runs/' + id + '/tasks?status=FAILED').then(r => r.json())]);
  if (Array.isArray(tasks)) state.tasks = tasks;
  if (Array.isArray(failed)) state.failed = failed;
  renderTasks();
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

document.getElementById('task-filter').addEventListener('change', loadTasks);
document.getElementById('selection-filter').addEventListener('input', renderTasks);
const params = new URLSearchParams(location.search);
if (params.get('run')) select(params.get('run'));

const events = new EventSource('/api/events');
const badge = document.getElementById('connection');
events.addEventListener('open', () => { badge.textContent = 'live'; badge.className = 'badge live'; });
events.addEventListener('error', () => { badge.textContent = 'reconnecting…'; badge.className = 'badge down'; });
events.addEventListener('snapshot', e => onSnapshot(JSON.parse(e.data)));
