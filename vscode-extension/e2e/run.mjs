#!/usr/bin/env node
// End-to-end test of the extension in a real VS Code: code-server (npm, VS Code 1.100.3) driven
// by playwright-core with Debian's Chromium. Offline. Prerequisites: scripts/install-code-server.sh
// has run, `npm ci`, the .vsix is built (`npm run package`), and an `agentblocks` binary exists.
//
//   node e2e/run.mjs        # exit 0 = every check passed
//
// Env: AGENTBLOCKS_BIN (default: <repo>/target/debug/agentblocks, or $CARGO_TARGET_DIR/debug),
//      CS_ROOT (default ~/.cache/code-server-e2e), E2E_OUT (default test-artifacts/e2e-<time>).
// The run folder holds screenshots, logs and result.json; the latest screenshots are also
// copied to test-artifacts/latest/.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const EXT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(EXT_ROOT, '..');
const CS_ROOT = process.env.CS_ROOT || path.join(process.env.HOME, '.cache/code-server-e2e');
const CS_BIN = path.join(CS_ROOT, 'cs/node_modules/.bin/code-server');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
const BIN = path.resolve(process.env.AGENTBLOCKS_BIN || path.join(TARGET, 'debug/agentblocks'));
const VSIX = path.join(EXT_ROOT, 'agentblocks.vsix');
const EXT_ID = 'agentblocks.agentblocks';
const WORKFLOW = process.env.E2E_WORKFLOW || 'data-pipeline.ab';

const RUN = path.resolve(process.env.E2E_OUT || path.join(EXT_ROOT, 'test-artifacts', 'e2e-' + new Date().toISOString().replace(/[:.]/g, '-')));
const SHOTS = path.join(RUN, 'shots');
const WS = path.join(RUN, 'workspace');
const USER_DATA = path.join(RUN, 'cs-user-data');
const EXT_DIR = path.join(RUN, 'cs-extensions');
const PROFILE = path.join(RUN, 'chromium-profile');
for (const d of [SHOTS, WS, USER_DATA, EXT_DIR, PROFILE]) fs.mkdirSync(d, { recursive: true });

const t0 = Date.now();
const timings = {};
const log = (...a) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const mark = (k, since = t0) => { timings[k] = Date.now() - since; log(`${k}: ${timings[k]} ms`); };
const checks = [];
const check = (name, ok, detail = '') => { checks.push({ name, ok: !!ok, detail: String(detail) }); log(`${ok ? 'PASS' : 'FAIL'} ${name} ${detail}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ preconditions
for (const [what, p] of [['code-server (run scripts/install-code-server.sh)', CS_BIN], ['chromium', '/usr/bin/chromium'], ['the .vsix (npm run package)', VSIX], ['the agentblocks binary (cargo build, or set AGENTBLOCKS_BIN)', BIN]]) {
  if (!fs.existsSync(p)) { console.error(`e2e: missing ${what}: ${p}`); process.exit(2); }
}
for (const c of ['lsp', 'run']) {
  try { execFileSync(BIN, [c, '--help'], { stdio: 'ignore' }); } catch { console.error(`e2e: ${BIN} has no \`${c}\` command (an old binary? rebuild it)`); process.exit(2); }
}

// ------------------------------------------------------------ workspace, install
fs.cpSync(path.join(REPO, 'examples'), WS, { recursive: true });
// A block that takes a while, to see the elapsed time and to stop a run.
fs.writeFileSync(path.join(WS, 'slow.ab'), [
  'workflow "Slow" {',
  '  block wait = shell "Wait" at (0, 0) {',
  '    out stdout: String',
  '    code ```',
  '      sleep 30',
  '      echo done',
  '      ```',
  '  }',
  '}',
  '',
].join('\n'));
// A large generated workflow without positions: auto-layout and the minimap.
const big = ['workflow "Large" {'];
for (let i = 0; i < 40; i++) {
  big.push(`  block b${i} = python "Step ${i}" {`);
  if (i > 0) big.push(`    in v: Integer <- b${Math.floor((i - 1) / 2)}.v`);
  big.push('    out v: Integer', '    code ```', i > 0 ? '      v + 1' : '      1', '      ```', '  }');
}
big.push('}', '');
fs.writeFileSync(path.join(WS, 'large.ab'), big.join('\n'));
// templates.ab is made again from templates.agentblocks by the conversion command.
fs.rmSync(path.join(WS, 'templates.ab'));
const csCommon = ['--user-data-dir', USER_DATA, '--extensions-dir', EXT_DIR];
const csEnv = { ...process.env, XDG_CONFIG_HOME: path.join(RUN, 'xdg-config'), XDG_DATA_HOME: path.join(RUN, 'xdg-data') };
let tt = Date.now();
execFileSync(CS_BIN, [...csCommon, '--install-extension', VSIX, '--force'], { stdio: ['ignore', 'inherit', 'inherit'], env: csEnv });
mark('install_extension_ms', tt);
const listed = execFileSync(CS_BIN, [...csCommon, '--list-extensions'], { env: csEnv }).toString();
check('extension installed', listed.includes(EXT_ID), listed.trim());

fs.mkdirSync(path.join(USER_DATA, 'User'), { recursive: true });
fs.writeFileSync(path.join(USER_DATA, 'User', 'settings.json'), JSON.stringify({
  'agentblocks.server.path': BIN,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'editor.fontSize': 13,
  'git.openRepositoryInParentFolders': 'never',
  'git.enabled': false,
}, null, 2));
const CONFIG = path.join(RUN, 'code-server-config.yaml');
fs.writeFileSync(CONFIG, 'auth: none\ncert: false\n');

const port = await new Promise((res, rej) => {
  const s = net.createServer(); s.on('error', rej);
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});
const csLog = fs.createWriteStream(path.join(RUN, 'code-server.log'));
const tStart = Date.now();
const cs = spawn(CS_BIN, [
  '--config', CONFIG, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
  '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
  '--disable-getting-started-override', '--ignore-last-opened', ...csCommon, WS,
], { env: csEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
cs.stdout.pipe(csLog); cs.stderr.pipe(csLog);
let csExited = null;
cs.on('exit', (code, sig) => { csExited = { code, sig }; });
const stopCodeServer = () => { if (!csExited) { try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* gone */ } } };
process.on('exit', stopCodeServer);
process.on('SIGINT', () => { stopCodeServer(); process.exit(130); });
const BASE = `http://127.0.0.1:${port}`;
for (;;) {
  if (csExited) throw new Error('code-server exited early, see ' + RUN + '/code-server.log');
  try { if ((await fetch(BASE + '/healthz')).ok) break; } catch { /* not yet */ }
  if (Date.now() - tStart > 60000) throw new Error('code-server did not listen within 60 s');
  await sleep(100);
}
mark('cs_http_ready_ms', tStart);

// ------------------------------------------------------------ the browser
let context, page, failed = null;
const shots = [];
try {
  context = await chromium.launchPersistentContext(PROFILE, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 900 },
  });
  page = context.pages()[0] || await context.newPage();
  const consoleLog = fs.createWriteStream(path.join(RUN, 'browser-console.log'));
  page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  const shot = async (name, locator) => {
    const p = path.join(SHOTS, name);
    await (locator ?? page).screenshot({ path: p });
    shots.push(p);
    log('screenshot', p);
  };
  const qi = page.locator('.quick-input-widget');
  const command = async (title) => {
    await page.keyboard.press('F1');
    await qi.waitFor({ state: 'visible' });
    await page.keyboard.type(title);
    await qi.locator('.monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20000 });
    await page.keyboard.press('Enter');
  };
  const editorText = async () => (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');

  tt = Date.now();
  await page.goto(`${BASE}/?folder=${encodeURIComponent(WS)}`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('treeitem', { name: WORKFLOW }).waitFor({ timeout: 90000 });
  mark('workbench_ready_ms', tt);

  // ---- open the workflow
  await page.locator('.monaco-workbench').click({ position: { x: 800, y: 400 } });
  await page.keyboard.press('Control+P');
  await qi.waitFor({ state: 'visible' });
  await page.keyboard.type(WORKFLOW);
  await qi.locator('.monaco-list-row', { hasText: WORKFLOW }).first().waitFor();
  await page.keyboard.press('Enter');
  const lines = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await lines.filter({ hasText: 'workflow' }).waitFor({ timeout: 30000 });
  check('workflow opened', true, await page.locator('.tab.active .label-name').first().innerText());

  // ---- language: the mode in the status bar, highlighting (TextMate tokens: several colours)
  const mode = page.locator('.statusbar-item[id="status.editor.mode"]');
  await mode.filter({ hasText: 'AgentBlocks' }).waitFor({ timeout: 30000 });
  check('language mode is AgentBlocks', true);
  await sleep(1500); // tokenisation is asynchronous
  const classes = await lines.locator('span[class^="mtk"]').evaluateAll((els) => [...new Set(els.map((e) => e.className))]);
  check('highlighted with several token colours', classes.length >= 5, classes.join(' '));
  const embedded = await lines.locator('.view-line', { hasText: 'import csv' }).locator('span[class^="mtk"]').evaluateAll((els) => [...new Set(els.map((e) => e.className))]);
  check('embedded Python is coloured', embedded.length >= 2, embedded.join(' '));

  // ---- the server: status bar item
  const status = page.locator('.statusbar-item[id="agentblocks.agentblocks.agentblocks.status"], .statusbar-item[id="agentblocks.status"]').first();
  await status.waitFor({ timeout: 60000 });
  await page.locator('.statusbar-item .codicon-pass').first().waitFor({ timeout: 60000 });
  check('language server running (status bar)', true, await status.innerText());
  await shot('01-editor.png');

  // ---- preview
  tt = Date.now();
  await command('AgentBlocks: Open Preview to the Side');
  const wvIframe = page.locator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`);
  const wv = page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`).frameLocator('#active-frame');
  await wv.locator('body[data-ready="true"]').waitFor({ timeout: 60000 });
  mark('command_to_preview_ms', tt);
  const blockIds = await wv.locator('.card').evaluateAll((els) => els.map((e) => e.dataset.block));
  check('preview draws every block', blockIds.length >= 4, blockIds.join(', '));
  const edgeCount = await wv.locator('.edge').count();
  check('preview draws the connections', edgeCount >= 3, `${edgeCount} edges`);
  check('no invalid edge in the clean example', (await wv.locator('.edge.invalid').count()) === 0);
  await shot('02-preview.png');

  // ---- introduce a type error: the Problems panel and the preview's edge show it
  const original = fs.readFileSync(path.join(WS, WORKFLOW), 'utf8');
  const srcLine = original.split('\n').find((l) => /^\s+in \w+: String <- \w+\.\w+/.test(l));
  if (!srcLine) throw new Error('no `in x: String <- a.b` line to break');
  const broken = srcLine.replace(': String <-', ': Integer <-').trim();
  await lines.click({ position: { x: 300, y: 30 } });
  await page.keyboard.press('Control+H');
  const find = page.locator('.find-widget');
  await find.waitFor({ state: 'visible' });
  await find.locator('.find-part textarea').fill(srcLine.trim());
  await find.locator('.replace-part textarea').fill(broken);
  await find.locator('.replace-part .codicon-find-replace-all').click();
  await find.locator('.codicon-widget-close').click();
  await lines.filter({ hasText: broken }).waitFor({ timeout: 10000 });
  await page.keyboard.press('Control+Shift+M'); // Problems
  const problem = page.locator('.markers-panel .monaco-list-row').filter({ hasText: /Integer|String/ }).first();
  await problem.waitFor({ timeout: 30000 });
  check('Problems panel shows the type error', true, await problem.innerText());
  await wv.locator('.edge.invalid').first().waitFor({ timeout: 30000 });
  check('preview marks the offending edge', true, await wv.locator('.edge.invalid title').first().textContent());
  check('preview still draws every block while the text has errors', (await wv.locator('.card').count()) === blockIds.length);
  await shot('03-type-error.png');

  // ---- undo, save: clean again
  await page.keyboard.press('Control+1'); // focus the editor
  await page.keyboard.press('Control+Z');
  await lines.filter({ hasText: srcLine.trim() }).waitFor({ timeout: 10000 });
  await page.keyboard.press('Control+S');
  await wv.locator('.edge.invalid').first().waitFor({ state: 'detached', timeout: 30000 });
  check('fixing the text clears the edge error', true);

  // ---- drag a block: the server's edit changes its `at (x, y)` line
  const firstCard = wv.locator('.card').first();
  const id0 = await firstCard.getAttribute('data-block');
  const box = await firstCard.boundingBox();
  if (box) {
    await page.mouse.move(box.x + 60, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 110, box.y + 40, { steps: 8 });
    await page.mouse.move(box.x + 160, box.y + 60, { steps: 8 });
    await page.mouse.up();
    const headerRe = new RegExp(`block ${id0} = .* at \\((-?\\d+), (-?\\d+)\\)`);
    const before = original.split('\n').find((l) => headerRe.test(l)) ?? '';
    let after = '';
    for (let i = 0; i < 50 && (!after || after.trim() === before.trim()); i++) {
      await sleep(200);
      after = (await editorText()).split('\n').find((l) => headerRe.test(l)) ?? '';
    }
    await shot('03b-after-drag.png');
    check('dragging a block changes its `at (x, y)` line', after && after.trim() !== before.trim(), `${before.trim()} -> ${after.trim()}`);
    await page.keyboard.press('Control+Z'); // focus is in the editor after the edit? restore anyway
  }

  // ---- run the workflow
  await page.keyboard.press('Control+1');
  await page.keyboard.press('Control+S');
  tt = Date.now();
  await command('AgentBlocks: Run Workflow');
  const expected = blockIds.length;
  await wv.locator('#run-status[data-status="succeeded"], #run-status[data-status="failed"]').waitFor({ timeout: 120000 });
  mark('run_ms', tt);
  const states = await wv.locator('.card').evaluateAll((els) => els.map((e) => `${e.dataset.block}=${e.dataset.state}`));
  const done = states.filter((s) => /=(succeeded|cached)$/.test(s)).length;
  check('preview shows every block succeeded', done === expected, states.join(' '));
  const runsHeader = page.locator('.pane-header', { hasText: 'AgentBlocks Runs' });
  if ((await runsHeader.getAttribute('aria-expanded')) !== 'true') await runsHeader.click();
  await page.locator('.monaco-list-row', { hasText: `#1 ${WORKFLOW}: workflow` }).first().waitFor({ timeout: 10000 }).then(
    () => check('Runs view lists the run', true),
    () => check('Runs view lists the run', false),
  );
  await page.keyboard.press('Control+J'); // hide the panel: more room for the graph
  await page.locator('.part.panel').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  await wv.locator('#fit').click();
  await sleep(300);
  await shot('04-run-succeeded.png');
  await shot('05-preview-only.png', wvIframe);

  // ---- cpp-callbacks.ab: Run to Here on a block, then the whole workflow (its AI block fails
  // without a model: the graph shows the failure)
  const CPP = 'cpp-callbacks.ab';
  await command('View: Close All Editor Groups');
  await page.keyboard.press('Control+P');
  await qi.waitFor({ state: 'visible' });
  await page.keyboard.type(CPP);
  await qi.locator('.monaco-list-row', { hasText: CPP }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active .label-name', { hasText: CPP }).waitFor({ timeout: 20000 });
  await command('AgentBlocks: Open Preview to the Side');
  const wv2 = page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`).frameLocator('#active-frame');
  await wv2.locator('#title', { hasText: CPP }).waitFor({ timeout: 30000 });
  await wv2.locator('.card[data-block="generate"]').waitFor({ timeout: 30000 });
  check('cpp-callbacks preview draws its blocks', (await wv2.locator('.card').count()) === 4);
  const cppLines = fs.readFileSync(path.join(WS, CPP), 'utf8').split('\n');
  const contextLine = cppLines.findIndex((l) => /^\s*block context\b/.test(l)) + 2; // inside the block
  const cppTab = page.locator('.tab', { hasText: CPP }).first();
  await cppTab.click();
  await page.keyboard.press('Control+G');
  await qi.waitFor({ state: 'visible' });
  await page.keyboard.type(String(contextLine));
  await page.keyboard.press('Enter');
  await command('AgentBlocks: Run to Here');
  await wv2.locator('#run-status[data-status="succeeded"], #run-status[data-status="failed"]').waitFor({ timeout: 120000 });
  const upTo = Object.fromEntries(await wv2.locator('.card').evaluateAll((els) => els.map((e) => [e.dataset.block, e.dataset.state])));
  check('Run to Here runs the block and its upstream only',
    ['find', 'filter', 'context'].every((b) => /succeeded|cached/.test(upTo[b])) && upTo.generate === 'idle', JSON.stringify(upTo));
  await cppTab.click();
  await command('AgentBlocks: Run Workflow');
  await wv2.locator('#run-status[data-status="failed"], #run-status[data-status="succeeded"]').filter({ hasText: '#3' }).waitFor({ timeout: 120000 });
  const all = Object.fromEntries(await wv2.locator('.card').evaluateAll((els) => els.map((e) => [e.dataset.block, e.dataset.state])));
  check('a whole run shows cached, succeeded and failed blocks on the graph',
    all.generate === 'failed' && ['find', 'filter', 'context'].every((b) => /succeeded|cached/.test(all[b])), JSON.stringify(all));
  await page.locator('.notification-toast', { hasText: 'AgentBlocks: running' }).waitFor({ state: 'detached', timeout: 30000 }).catch(() => {});
  await command('Notifications: Clear All Notifications');
  await page.mouse.move(5, 600);
  await sleep(500);
  await shot('06-cpp-callbacks.png');

  // ---- the server's code lenses: "▶ Run block" on `context` runs the extension's command with
  // the lens argument { uri, block }: the preview shows the block's state, the Runs view the run
  await cppTab.click();
  await page.keyboard.press('Control+G');
  await qi.waitFor({ state: 'visible' });
  await page.keyboard.type(String(contextLine - 1));
  await page.keyboard.press('Enter');
  const cppEditor = page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: CPP }) }).locator('.monaco-editor').first();
  const lensLinks = cppEditor.locator('.codelens-decoration a', { hasText: 'Run block' });
  await lensLinks.first().waitFor({ timeout: 30000 });
  const headerBox = await cppEditor.locator('.view-line', { hasText: /block\s+context\s+=/ }).first().boundingBox();
  const lensBoxes = await lensLinks.evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { y: r.y, text: e.textContent }; }));
  // The lens of `context` is the one just above its header line.
  let lensIndex = -1;
  for (let i = 0; i < lensBoxes.length; i++) {
    if (headerBox && lensBoxes[i].y < headerBox.y && (lensIndex < 0 || lensBoxes[i].y > lensBoxes[lensIndex].y)) lensIndex = i;
  }
  const lensTitle = lensIndex >= 0 ? lensBoxes[lensIndex].text : '';
  check('the server shows "▶ Run block" lenses with the cache state', lensIndex >= 0 && /Run block · (cached|will re-run|not run yet)/.test(lensTitle ?? ''), lensTitle);
  tt = Date.now();
  if (lensIndex >= 0) await lensLinks.nth(lensIndex).click();
  await wv2.locator('#run-status[data-status="succeeded"], #run-status[data-status="failed"]').filter({ hasText: '#4' }).waitFor({ timeout: 60000 }).catch(() => {});
  mark('lens_run_ms', tt);
  const byLens = Object.fromEntries(await wv2.locator('.card').evaluateAll((els) => els.map((e) => [e.dataset.block, e.dataset.state])));
  const lensStatus = await wv2.locator('#run-status').innerText().catch(() => '');
  check('a "▶ Run block" lens click runs the block: the preview shows its state',
    /#4/.test(lensStatus) && /succeeded|cached/.test(byLens.context) && byLens.generate === 'idle', `${lensStatus.trim()} ${JSON.stringify(byLens)}`);
  await page.locator('.monaco-list-row', { hasText: `#4 ${CPP}: block context` }).first().waitFor({ timeout: 10000 }).then(
    () => check('the lens run is in the Runs view', true),
    () => check('the lens run is in the Runs view', false));
  await page.locator('.notification-toast', { hasText: 'AgentBlocks: running' }).waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
  await shot('06b-lens-run-block.png');

  // ---- runs went through the server: hovering an output port shows its last value
  const portToken = cppEditor.locator('.view-line', { hasText: /out\s+code_context:/ }).locator('span[class^="mtk"]', { hasText: 'code_context' }).first();
  await portToken.hover({ timeout: 10000 }).catch(() => {});
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'last value' }).first();
  await hover.waitFor({ timeout: 15000 }).then(
    async () => check('hover shows the last value of a port after a run', true, (await hover.innerText()).replace(/\s+/g, ' ').slice(0, 160)),
    () => check('hover shows the last value of a port after a run', false));
  await sleep(500); // the hover fades in
  await shot('06c-hover-last-value.png');
  await page.keyboard.press('Escape');

  // ---- Stop: a running block shows its elapsed time; Stop cancels the run
  const openFile = async (name) => {
    await page.keyboard.press('Control+P');
    await qi.waitFor({ state: 'visible' });
    await page.keyboard.type(name);
    await qi.locator('.monaco-list-row', { hasText: name }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active .label-name', { hasText: name }).waitFor({ timeout: 20000 });
  };
  await command('View: Close All Editor Groups');
  await openFile('slow.ab');
  await command('AgentBlocks: Open Preview to the Side');
  await wv2.locator('.card[data-block="wait"]').waitFor({ timeout: 30000 });
  await page.locator('.tab', { hasText: 'slow.ab' }).first().click();
  await command('AgentBlocks: Run Workflow');
  const running = wv2.locator('.card[data-block="wait"][data-state="running"] .status', { hasText: /running [1-9][0-9.]* s/ });
  await running.waitFor({ timeout: 30000 });
  check('a running block shows its elapsed time', true, await running.innerText());
  const toast = page.locator('.notification-toast', { hasText: 'AgentBlocks: running' });
  await toast.waitFor({ timeout: 10000 }).then(
    () => check('progress notification while running', true),
    () => check('progress notification while running', false));
  // The server reports on the extension's token: its messages in that notification, and no
  // second progress of its own in the status bar.
  await toast.filter({ hasText: 'wait: running (0/1)' }).waitFor({ timeout: 10000 }).then(
    async () => check('the notification shows the server\'s progress, the only progress shown',
      (await page.locator('.statusbar-item', { hasText: 'Running slow.ab' }).count()) === 0, (await toast.innerText()).replace(/\s+/g, ' ')),
    () => check('the notification shows the server\'s progress, the only progress shown', false));
  await shot('07-running.png');
  await command('AgentBlocks: Stop');
  await wv2.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30000 }).then(
    () => check('Stop cancels the run', true),
    () => check('Stop cancels the run', false));

  // ---- a large workflow without positions: auto-layout without overlaps, the minimap
  await command('View: Close All Editor Groups');
  await openFile('large.ab');
  await command('AgentBlocks: Open Preview to the Side');
  await wv2.locator('.card[data-block="b39"]').waitFor({ timeout: 30000 });
  const boxes = await wv2.locator('.card').evaluateAll((els) => els.map((e) => ({ id: e.dataset.block, auto: e.classList.contains('auto'), x: e.offsetLeft, y: e.offsetTop, w: e.offsetWidth, h: e.offsetHeight })));
  let overlaps = 0;
  for (const a of boxes) for (const b of boxes) if (a.id < b.id && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps++;
  check('large graph: 40 auto-placed cards, none overlapping', boxes.length === 40 && boxes.every((b) => b.auto) && overlaps === 0, `${boxes.length} cards, ${overlaps} overlaps`);
  await wv2.locator('#minimap:not([hidden])').waitFor({ timeout: 10000 }).then(
    () => check('large graph: minimap shown', true),
    () => check('large graph: minimap shown', false));
  await shot('09-large-graph.png');

  // ---- restart; a server path that points nowhere gives a notification with the fix
  await command('AgentBlocks: Restart Language Server');
  await page.locator('.statusbar-item .codicon-pass').first().waitFor({ timeout: 60000 }).then(
    () => check('Restart Language Server: running again', true),
    () => check('Restart Language Server: running again', false));
  // Edit the user settings the way a user does (the settings editor, saved).
  await command('Preferences: Open User Settings (JSON)');
  await page.locator('.tab.active .label-name', { hasText: 'settings.json' }).waitFor({ timeout: 20000 });
  const settingsLines = page.locator('.editor-group-container.active .view-lines', { hasText: 'agentblocks.server.path' });
  await settingsLines.waitFor({ timeout: 20000 });
  const replaceAll = async (from, to) => {
    await settingsLines.click({ position: { x: 400, y: 5 } });
    await page.keyboard.press('Control+H');
    const fw = page.locator('.editor-group-container.active .find-widget.visible');
    await fw.waitFor({ state: 'visible' });
    await fw.locator('.find-part textarea').fill(from);
    await fw.locator('.replace-part textarea').fill(to);
    await fw.locator('.replace-part .codicon-find-replace-all').click();
    await fw.locator('.codicon-widget-close').click();
    await page.keyboard.press('Control+S');
  };
  const statusIcon = (icon) => page.locator(`.statusbar-item[id$="agentblocks.status"] .codicon-${icon}`).first();
  await replaceAll(BIN, '/nonexistent/agentblocks');
  const missing = page.locator('.notification-toast', { hasText: 'which is not an executable file' });
  await missing.waitFor({ timeout: 30000 }).then(
    async () => check('a wrong server path: notification with the fix', (await missing.innerText()).includes('Set agentblocks.server.path'), (await missing.innerText()).replace(/\s+/g, ' ')),
    () => check('a wrong server path: notification with the fix', false));
  await statusIcon('warning').waitFor({ timeout: 10000 }).then(
    () => check('a wrong server path: status bar warns', true),
    () => check('a wrong server path: status bar warns', false));
  await shot('10-server-missing.png');
  await replaceAll('/nonexistent/agentblocks', BIN);
  await statusIcon('pass').waitFor({ timeout: 60000 }).then(
    () => check('fixing the setting restarts the server', true),
    () => check('fixing the setting restarts the server', false));
  await command('Notifications: Clear All Notifications');

  // ---- conversions
  await command('View: Close All Editor Groups');
  await openFile('templates.agentblocks');
  await page.locator('.statusbar-item[id="status.editor.mode"]', { hasText: 'AgentBlocks JSON' }).waitFor({ timeout: 20000 }).then(
    () => check('.agentblocks files are AgentBlocks JSON', true),
    () => check('.agentblocks files are AgentBlocks JSON', false));
  await command('AgentBlocks: Open Preview to the Side');
  await wv2.locator('.card[data-block="make"]').waitFor({ timeout: 30000 }).then(
    () => check('the preview draws an .agentblocks (JSON) file', true),
    () => check('the preview draws an .agentblocks (JSON) file', false));
  await page.locator('.tab', { hasText: 'templates.agentblocks' }).first().click();
  await command('AgentBlocks: Convert to .ab (Text)');
  await page.locator('.tab.active .label-name', { hasText: 'templates.ab' }).waitFor({ timeout: 20000 });
  await lines.filter({ hasText: 'workflow' }).first().waitFor({ timeout: 10000 }).catch(() => {});
  check('Convert to .ab writes and opens the text', fs.existsSync(path.join(WS, 'templates.ab')) && fs.readFileSync(path.join(WS, 'templates.ab'), 'utf8').includes('workflow'));
  await page.locator('.tab', { hasText: 'templates.agentblocks' }).first().click();
  await command('AgentBlocks: Open as Text');
  await page.locator('.tab.active.dirty', { hasText: 'Untitled' }).waitFor({ timeout: 20000 });
  const active = page.locator('.editor-group-container.active');
  await active.locator('.view-lines', { hasText: 'workflow' }).waitFor({ timeout: 10000 }).catch(() => {});
  const asText = (await active.locator('.view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  check('Open as Text shows the .ab text', /workflow/.test(asText) && /block \w+ = /.test(asText), await active.locator('.tab.active .label-name').first().innerText());
  await shot('08-open-as-text.png');

  // ---- Expand Template (the server's code action command, the extension's own): the server
  // expands the template block at the cursor, an untitled Python editor shows the code
  // Its tab is open since the conversion (quick open may pick another group's editor).
  const templatesTab = page.locator('.tab', { hasText: 'templates.ab' }).first();
  if (await templatesTab.count()) {
    await templatesTab.click();
    await page.locator('.tab.active .label-name', { hasText: 'templates.ab' }).first().waitFor({ timeout: 10000 });
  } else await openFile('templates.ab');
  await page.keyboard.press('Control+G');
  await qi.waitFor({ state: 'visible' });
  await page.keyboard.type('4');
  await page.keyboard.press('Enter');
  await command('AgentBlocks: Expand Template');
  const expanded = page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: 'Untitled' }) }).locator('.view-lines', { hasText: 'def get_answer' });
  await expanded.first().waitFor({ timeout: 20000 }).then(
    async () => check('Expand Template shows the expanded code', await page.locator('.statusbar-item[id="status.editor.mode"]', { hasText: 'Python' }).count() > 0,
      (await expanded.first().innerText()).replace(/\u00a0/g, ' ').split('\n').slice(0, 2).join(' | ')),
    () => check('Expand Template shows the expanded code', false));
} catch (e) {
  failed = e;
  log('ERROR', e.stack || e);
  if (page) { try { await page.screenshot({ path: path.join(SHOTS, '99-failure.png') }); } catch { /* ignore */ } }
} finally {
  if (context) await context.close().catch(() => {});
  stopCodeServer();
  const alive = () => { try { process.kill(-cs.pid, 0); return true; } catch { return false; } };
  const deadline = Date.now() + 10000;
  while ((!csExited || alive()) && Date.now() < deadline) await sleep(100);
  if (alive()) { try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* gone */ } }
}

mark('total_ms');
const ok = !failed && checks.length > 0 && checks.every((c) => c.ok);
fs.writeFileSync(path.join(RUN, 'result.json'), JSON.stringify({ ok, run: RUN, binary: BIN, timings, checks, error: failed && String(failed) }, null, 2));
const latest = path.join(EXT_ROOT, 'test-artifacts', 'latest');
fs.rmSync(latest, { recursive: true, force: true });
fs.mkdirSync(latest, { recursive: true });
for (const f of fs.readdirSync(SHOTS)) fs.copyFileSync(path.join(SHOTS, f), path.join(latest, f));
fs.copyFileSync(path.join(RUN, 'result.json'), path.join(latest, 'result.json'));
log(ok ? 'ALL CHECKS PASSED' : 'FAILED', '->', path.join(RUN, 'result.json'));
process.exit(ok ? 0 : 1);
