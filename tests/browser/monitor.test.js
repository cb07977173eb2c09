// dcp-monitor's page in Debian's chromium, driven by playwright-core (no
// browser is downloaded). Run by tests/e2e/browser_test.sh, which starts the
// monitor and the workers on the test servers and sets:
//   DCP_MONITOR_URL, DCP_MONITOR_TOKEN, DCP_TEST_CHROMIUM, DCP_BROWSER_PROFILE,
//   DCP_SCREENSHOT (where to save the screenshot of the page), DCP_BIN (the
//   binaries: `dcp workers` and `dcp status` are compared with the page),
//   DCP_MYSQL_URL, DCP_FLAKY_FILE (feeder S1-F2 fails in April 2024 while it
//   exists), DCP_MONITOR_OFF_URL (a monitor of the same database without a
//   token: its actions are off)
// Every wait is for a state on the page, with a deadline: no fixed sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const env = name => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests/e2e/browser_test.sh`);
  return value;
};
const base = env('DCP_MONITOR_URL');
const token = env('DCP_MONITOR_TOKEN');
const kUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The workers table: [{worker, inFlight, currentTask, state}].
const workerRows = () => page.evaluate(() => [...document.querySelectorAll('#workers tbody tr')].map(r => ({
  worker: r.children[0].textContent, inFlight: r.children[4].textContent,
  currentTask: r.children[5].textContent, state: r.children[6].textContent })));

// `dcp workers`: the CURRENT TASK column of each worker's row.
function cliCurrentTasks() {
  const text = execFileSync(env('DCP_BIN') + '/dcp', ['workers'], { encoding: 'utf8' });
  const [header, ...rows] = text.trimEnd().split('\n');
  const column = header.indexOf('CURRENT TASK');
  assert.ok(column >= 0, `dcp workers has no CURRENT TASK column:\n${text}`);
  return rows.map(r => r.slice(column).split(/\s+/)[0]);
}

let context;
let page;
const pageErrors = [];
const requests = [];  // every request of the page: {method, url, auth}
const kTokenKey = 'dcp-monitor-token';
// What the browser logs for an answer the tests provoke on purpose: the
// probe of the actions (401), a wrong token (401), a read token's 401.
const kExpectedConsole = /Failed to load resource: the server responded with a status of 40[13]/;

before(async () => {
  context = await chromium.launchPersistentContext(env('DCP_BROWSER_PROFILE'), {
    executablePath: env('DCP_TEST_CHROMIUM'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', e => pageErrors.push(e.message));
  page.on('console', m => {
    if (m.type() === 'error' && !kExpectedConsole.test(m.text())) pageErrors.push(m.text());
  });
  page.on('request', r => requests.push({ method: r.method(), url: r.url(), auth: r.headers().authorization }));
});

after(async () => { await context?.close(); });

async function trigger(body) {
  const response = await fetch(base + '/api/runs', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `POST /api/runs: ${response.status} ${text}`);
  return JSON.parse(text).run_id;
}

// A GET of the API as the page's operator would do it: with the token (the
// write token is also a read token once a monitor has one).
async function apiGet(path) {
  const response = await fetch(base + path, { headers: { Authorization: 'Bearer ' + token } });
  const text = await response.text();
  assert.equal(response.status, 200, `GET ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

// `dcp status RUN_ID --json`: the run as the database has it.
const cliStatus = runId => JSON.parse(execFileSync(env('DCP_BIN') + '/dcp', ['status', runId, '--json'],
  { encoding: 'utf8' }));

const feedback = () => page.locator('#feedback').textContent();
const storedToken = () => page.evaluate(key => sessionStorage.getItem(key), kTokenKey);

// Waits for the feedback line to match `pattern`; returns the match.
const waitForFeedback = (pattern, seconds = 30) => waitFor(`feedback ${pattern}`, async () =>
  (await feedback()).match(pattern), seconds);

// Fills the trigger form (an absent field stays empty: the job's default).
async function fillTrigger(fields) {
  for (const name of ['from', 'to', 'window', 'selections']) await page.fill('#trigger-' + name, fields[name] ?? '');
}

// The token dialog is open and says `reason`; enters `value`.
async function answerTokenDialog(reason, value, on = page) {
  await on.locator('#token-dialog').waitFor({ state: 'visible', timeout: 10_000 });
  await on.locator('#token-reason', { hasText: reason }).waitFor({ timeout: 10_000 });
  await on.fill('#token-input', value);
  await on.click('#token-submit');
}

const waitForRunStatus = (runId, status, seconds = 120) => waitFor(`run ${runId} ${status} on the page`,
  async () => {
    const r = await runRow(runId);
    return r && r.status === status ? r : null;
  }, seconds);

// The row of a run in the runs table, as the page shows it.
const runRow = runId => page.evaluate(id => {
  const tr = [...document.querySelectorAll('#runs tbody tr')].find(r => r.dataset.runId === id);
  if (!tr) return null;
  const cells = [...tr.querySelectorAll('td')].map(td => td.textContent.trim());
  return { status: cells[3], progress: cells[4], job: cells[7], export: cells[8] };
}, runId);

// Polls `probe` until it returns a truthy value, for at most `seconds`.
async function waitFor(what, probe, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await page.waitForTimeout(100);  // the polling interval, not a synchronisation
  }
  assert.fail(`waited ${seconds}s for ${what}; last: ${JSON.stringify(last)}`);
}

test('the page loads and connects to the live events', async () => {
  await page.goto(base + '/');
  assert.equal(await page.title(), 'dcp monitor');
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#runs tbody tr').count(), 0, 'no run yet');
});

test('a run started while the page is open progresses live to FINISHED', async () => {
  const runId = await trigger({ from: '2024-01-01', to: '2024-02-29', window: 'week' });
  const seen = new Set();
  const pageTasks = new Set();  // current tasks in the workers table
  const cliTasks = new Set();   // and in `dcp workers`
  const finished = await waitFor(`run ${runId} FINISHED on the page`, async () => {
    const row = await runRow(runId);
    if (row) seen.add(row.progress.replace(/\s+/g, ' '));
    for (const w of await workerRows()) if (kUuid.test(w.currentTask)) pageTasks.add(w.currentTask);
    for (const t of cliCurrentTasks()) if (kUuid.test(t)) cliTasks.add(t);
    return row && row.status === 'FINISHED' ? row : null;
  }, 120);
  const [done, total] = finished.progress.match(/(\d+)\/(\d+)/).slice(1).map(Number);
  assert.ok(total > 0 && done === total, `finished progress ${finished.progress}`);
  // Its job (the reference one, no job file given), which has no export step.
  assert.equal(finished.job, 'reference');
  assert.equal(finished.export, '-');
  const partial = [...seen].filter(p => {
    const m = p.match(/(\d+)\/(\d+)/);
    return m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
  });
  assert.ok(partial.length > 0, `no intermediate progress was shown; seen: ${[...seen].join(', ')}`);
  // The workers' heartbeats named the tasks they were computing: tasks of this run.
  const runTasks = new Set((await apiGet(`/api/runs/${runId}/tasks`)).map(t => t.task_id));
  assert.ok(pageTasks.size > 0, 'the workers table never showed a current task');
  assert.ok(cliTasks.size > 0, '`dcp workers` never showed a current task');
  for (const t of [...pageTasks, ...cliTasks]) assert.ok(runTasks.has(t), `current task ${t} is not in the run`);
  // The first run is selected: its status and its tasks are shown.
  await page.locator('#run-status', { hasText: 'FINISHED' }).waitFor({ timeout: 30_000 });
  await waitFor('all tasks FINISHED in the tasks table', () => page.evaluate(n => {
    const rows = [...document.querySelectorAll('#tasks tbody tr')];
    return rows.length === n && rows.every(r => r.children[1].textContent === 'FINISHED');
  }, total), 30);
});

test("a failed task's error is shown, as text and not as markup", async () => {
  const runId = await trigger({ from: '2024-03-01', to: '2024-03-31', window: 'month' });
  await waitFor(`run ${runId} in the runs table`, () => runRow(runId), 30);
  await page.locator(`#runs tbody tr[data-run-id="${runId}"]`).click();
  await page.locator('#run-id', { hasText: runId }).waitFor({ timeout: 10_000 });
  const row = await waitFor(`run ${runId} FAILED on the page`, async () => {
    const r = await runRow(runId);
    return r && r.status === 'FAILED' ? r : null;
  }, 120);
  assert.match(row.progress, /\d+\/\d+/);
  await page.locator('#run-status', { hasText: 'FAILED' }).waitFor({ timeout: 30_000 });
  const failed = page.locator('#failed li');
  await failed.first().waitFor({ timeout: 30_000 });
  assert.equal(await failed.count(), 1, 'one failed task (S1-F1, March)');
  const item = await failed.first().textContent();
  assert.match(item, /S1-F1/);
  assert.match(item, /feeder <b>on fire<\/b>/, 'the error, with its angle brackets, as text');
  assert.equal(await page.locator('#failed-empty').isHidden(), true);
  // Not markup: no <b> element was created from the error, and the HTML
  // holds the escaped text.
  assert.equal(await page.locator('#failed b, #tasks b').count(), 0, 'the error became markup');
  const html = await page.locator('#failed').innerHTML();
  assert.ok(html.includes('feeder &lt;b&gt;on fire&lt;/b&gt;'), html);
  const errorCell = page.locator('#tasks tbody tr', { hasText: 'S1-F1' }).locator('td').nth(7);
  assert.equal(await errorCell.textContent(), 'exec: exit 3: feeder <b>on fire</b>');
});

// April 2024: feeder S1-F2 fails while DCP_FLAKY_FILE exists.
let flakyRun;

test('a run triggered from the form, the token asked for once, is in the database', async () => {
  assert.equal(await storedToken(), null, 'no token before an action needs one');
  await fillTrigger({ from: '2024-04-01', to: '2024-04-30', window: 'month' });
  await page.click('#trigger-button');
  // The action waits for the token, its button disabled meanwhile.
  await page.locator('#token-dialog').waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await page.locator('#trigger-button').isDisabled(), true, 'trigger enabled while in flight');
  await answerTokenDialog('DCP_MONITOR_TOKEN', token);
  const [, runId, tasks] = await waitForFeedback(/^run (\S+) triggered: (\d+) tasks?$/);
  assert.match(runId, kUuid);
  assert.equal(await storedToken(), token, 'the token is kept for the next action');
  assert.equal(await page.locator('#trigger-button').isDisabled(), false);
  // On the page (selected), and in the database as `dcp status` reads it.
  await waitFor(`run ${runId} in the runs table`, () => runRow(runId), 30);
  await page.locator('#run-id', { hasText: runId }).waitFor({ timeout: 10_000 });
  const status = cliStatus(runId);
  assert.equal(status.run_id, runId);
  assert.equal(status.total, Number(tasks), `dcp status: ${JSON.stringify(status)}`);
  const windows = new Set((await apiGet(`/api/runs/${runId}/tasks`)).map(t => t.start.slice(0, 7)));
  assert.deepEqual([...windows], ['2024-04'], 'the form\'s range and window were used');
  await waitForRunStatus(runId, 'FAILED');
  await page.locator('#failed li', { hasText: 'feeder S1-F2 offline' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#failed li').count(), 1, 'one failed task (S1-F2, April)');
  flakyRun = runId;
});

test("retry from the page requeues the run's FAILED tasks, once for a double click", async () => {
  assert.ok(flakyRun, 'the previous test triggered the run');
  unlinkSync(env('DCP_FLAKY_FILE'));  // the feeder is back
  await page.locator(`#runs tbody tr[data-run-id="${flakyRun}"]`).click();
  await page.locator('#retry-button:not([disabled])').waitFor({ timeout: 10_000 });
  const [failedTask] = await apiGet(`/api/runs/${flakyRun}/tasks?status=FAILED`);
  assert.equal(failedTask.selection, 'S1-F2');
  const posts = () => requests.filter(r => r.method === 'POST' && r.url.endsWith(`/api/runs/${flakyRun}/retry`));
  await page.dblclick('#retry-button');
  await waitForFeedback(new RegExp(`^run ${flakyRun}: 1 task requeued \\(1 published\\)$`));
  assert.equal(posts().length, 1, 'a double click POSTed twice');
  await waitForRunStatus(flakyRun, 'FINISHED');
  const [s1f2] = (await apiGet(`/api/runs/${flakyRun}/tasks`)).filter(t => t.selection === 'S1-F2');
  assert.equal(s1f2.task_id, failedTask.task_id, 'the FAILED task itself was requeued');
  assert.equal(s1f2.status, 'FINISHED');
  const status = cliStatus(flakyRun);
  assert.equal(status.status, 'FINISHED');
  assert.equal(status.counts.FAILED, 0, `dcp status: ${JSON.stringify(status)}`);
  await page.locator('#retry-button[disabled]').waitFor({ timeout: 10_000 });
});

test('a wrong token is refused: the page forgets it, asks again, and nothing is done', async () => {
  await page.click('#token-forget');
  assert.equal(await storedToken(), null, 'forget token');
  await page.locator('#token-state', { hasText: 'no token' }).waitFor({ timeout: 10_000 });
  const runsBefore = (await apiGet('/api/runs')).map(r => r.run_id);
  await fillTrigger({ from: '2024-05-01', to: '2024-05-31', window: 'month' });
  await page.click('#trigger-button');
  await answerTokenDialog('DCP_MONITOR_TOKEN', 'wrong-' + token);
  // The 401: the dialog again, saying so; the wrong token is not kept.
  await page.locator('#token-reason', { hasText: 'refused the token' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#token-dialog').isVisible(), true);
  assert.equal(await storedToken(), null, 'the refused token was kept');
  await page.click('#token-cancel');
  await waitForFeedback(/^trigger a run: nothing done \(no token given\)$/);
  assert.deepEqual((await apiGet('/api/runs')).map(r => r.run_id), runsBefore, 'a run was triggered');
  const refused = requests.filter(r => r.method === 'POST' && r.auth === 'Bearer wrong-' + token);
  assert.equal(refused.length, 1, 'one POST with the wrong token');
});

test('cancel from the page asks for a confirmation, then cancels the run', async () => {
  await fillTrigger({ from: '2024-01-01', to: '2024-12-31', window: 'day' });  // minutes of work
  await page.click('#trigger-button');
  await answerTokenDialog('DCP_MONITOR_TOKEN', token);
  const [, runId] = await waitForFeedback(/^run (\S+) triggered: \d+ tasks$/);
  await page.locator('#run-id', { hasText: runId }).waitFor({ timeout: 10_000 });
  await page.locator('#cancel-button:not([disabled])').waitFor({ timeout: 30_000 });
  // Dismissed: nothing happens.
  const asked = [];
  page.once('dialog', d => { asked.push(d.message()); d.dismiss(); });
  await page.click('#cancel-button');
  await waitForFeedback(/not confirmed, nothing done$/);
  assert.match(asked[0] ?? '', new RegExp(`Cancel run ${runId}\\?`));
  assert.notEqual((await apiGet(`/api/runs/${runId}`)).status, 'CANCELLED');
  // Accepted: cancelled.
  page.once('dialog', d => d.accept());
  await page.click('#cancel-button');
  const [, cancelled] = await waitForFeedback(new RegExp(`^run ${runId} cancelled: (\\d+) queued tasks? cancelled$`));
  assert.ok(Number(cancelled) > 0, 'no queued task was cancelled');
  const run = await apiGet(`/api/runs/${runId}`);
  assert.equal(run.status, 'CANCELLED');
  assert.equal(run.counts.CANCELLED, Number(cancelled));
  await waitForRunStatus(runId, 'CANCELLED', 30);
  await page.locator('#cancel-button[disabled]').waitFor({ timeout: 10_000 });
});

test("the token is in the tab's sessionStorage only, and sent on every API call", async () => {
  assert.equal(await storedToken(), token);
  // It survives a reload of the tab; from then on every GET of the API and
  // the event stream carry it (as a read token will need).
  const from = requests.length;
  await page.reload();
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
  await page.locator('#token-state', { hasText: 'token set' }).waitFor({ timeout: 10_000 });
  await waitFor('a run\'s tasks loaded after the reload', () =>
    requests.slice(from).some(r => /\/api\/runs\/[^/]+\/tasks/.test(r.url)), 30);
  const gets = requests.slice(from).filter(r => r.method === 'GET' && new URL(r.url).pathname.startsWith('/api/'));
  assert.ok(gets.some(r => new URL(r.url).pathname === '/api/events'), 'no /api/events request');
  for (const r of gets) assert.equal(r.auth, 'Bearer ' + token, `${r.url} without the token`);
  // Nowhere else: not a cookie, not localStorage, not a URL.
  const where = await page.evaluate(() => ({
    cookie: document.cookie,
    local: Object.keys(localStorage).map(k => k + '=' + localStorage.getItem(k)).join(';'),
    url: location.href }));
  for (const [name, value] of Object.entries(where)) assert.ok(!value.includes(token), `the token is in ${name}`);
  assert.deepEqual((await context.cookies()).filter(c => c.value.includes(token)), []);
  assert.ok(requests.length > 0);
  for (const r of requests) assert.ok(!r.url.includes(token), `the token is in a URL: ${r.url}`);
});

test('a monitor with a read token shows no data until it is given, then reads', async () => {
  // DCP_MONITOR_READ_TOKEN on a monitor of its own (its own origin, so its
  // own session storage): every GET of /api/ and the event stream answer
  // 401 without it.
  const reader = await context.newPage();
  try {
    await reader.goto(env('DCP_MONITOR_READ_URL') + '/');
    await reader.locator('#connection', { hasText: 'token needed' }).waitFor({ timeout: 30_000 });
    assert.equal(await reader.locator('#runs tbody tr').count(), 0, 'data shown without the token');
    await answerTokenDialog('needs a token to show its data', env('DCP_MONITOR_READ_TOKEN'), reader);
    await reader.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
    await waitFor('runs shown with the read token',
      async () => await reader.locator('#runs tbody tr').count() > 0, 30);
  } finally {
    await reader.close();
  }
});

test('a monitor without a token shows that its actions are off, and no buttons', async () => {
  const off = await context.newPage();
  try {
    await off.goto(env('DCP_MONITOR_OFF_URL') + '/');
    await off.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 30_000 });
    await off.locator('#mutations-off', { hasText: 'no token configured' }).waitFor({ timeout: 10_000 });
    assert.match(await off.locator('#mutations-off').textContent(), /DCP_MONITOR_TOKEN/);
    assert.equal(await off.locator('#trigger-section').isHidden(), true, 'the trigger form is shown');
    assert.equal(await off.locator('#run-actions').isHidden(), true, 'retry and cancel are shown');
  } finally {
    await off.close();
  }
});

test('the screenshot is saved and the page raised no errors', async () => {
  await waitFor('both workers idle in the workers table', async () => {
    const rows = await workerRows();
    return rows.length === 2 && rows.every(r => r.inFlight === '0' && r.currentTask === '-' && r.state === 'alive');
  }, 30);
  assert.deepEqual(cliCurrentTasks(), ['-', '-'], '`dcp workers` of idle workers');
  // The picture shows a failed run: March's, selected.
  const march = (await apiGet('/api/runs')).find(r => r.status === 'FAILED');
  await page.locator(`#runs tbody tr[data-run-id="${march.run_id}"]`).click();
  await page.locator('#failed li').first().waitFor({ timeout: 30_000 });
  const path = env('DCP_SCREENSHOT');
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  assert.deepEqual(pageErrors, []);
});
