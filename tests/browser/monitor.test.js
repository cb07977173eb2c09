// dcp-monitor's page in Debian's chromium, driven by playwright-core (no
// browser is downloaded). Run by tests/e2e/browser_test.sh, which starts the
// monitor and the workers on the test servers and sets:
//   DCP_MONITOR_URL, DCP_MONITOR_TOKEN, DCP_TEST_CHROMIUM, DCP_BROWSER_PROFILE,
//   DCP_SCREENSHOT (where to save the screenshot of the page), DCP_BIN (the
//   binaries: `dcp workers` is compared with the page), DCP_MYSQL_URL
// Every wait is for a state on the page, with a deadline: no fixed sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
  page.on('console', m => { if (m.type() === 'error') pageErrors.push(m.text()); });
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
  const runTasks = new Set((await (await fetch(`${base}/api/runs/${runId}/tasks`)).json()).map(t => t.task_id));
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

test('the screenshot is saved and the page raised no errors', async () => {
  await waitFor('both workers idle in the workers table', async () => {
    const rows = await workerRows();
    return rows.length === 2 && rows.every(r => r.inFlight === '0' && r.currentTask === '-' && r.state === 'alive');
  }, 30);
  assert.deepEqual(cliCurrentTasks(), ['-', '-'], '`dcp workers` of idle workers');
  const path = env('DCP_SCREENSHOT');
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  assert.deepEqual(pageErrors, []);
});
