/**
 * Running workflows and blocks: through the server (`agentblocks/runWorkflow`,
 * `agentblocks/runBlock` and `agentblocks/runEvent` notifications) or, when the server does not
 * offer those methods, through `agentblocks run --json` with the same binary. Either way the
 * engine's events feed one run state, the output channel, the "Runs" tree and the preview.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import { runBlockRequest, runEventNotification, runWorkflowRequest, type RunEvent } from './lsp_ext';
import {
  applyRunEvent,
  formatDuration,
  newRun,
  normalizeRunEvent,
  runStateLabel,
  type BlockRunState,
  type RunState,
} from './preview/model';
import type { ServerManager } from './client';

export type RunTarget = { kind: 'workflow' } | { kind: 'block'; block: string; upstream: boolean };

export interface RunRecord {
  seq: number;
  uri: vscode.Uri;
  target: RunTarget;
  state: RunState;
  backend: 'server' | 'cli';
  /** Block ids in the order they reported, for the tree. */
  order: string[];
  cancel?: () => void;
}

const MAX_HISTORY = 20;

export function targetLabel(t: RunTarget): string {
  if (t.kind === 'workflow') return 'workflow';
  return t.upstream ? `up to ${t.block}` : `block ${t.block}`;
}

export class RunController implements vscode.Disposable {
  readonly runs: RunRecord[] = [];
  private seq = 0;
  private readonly output = vscode.window.createOutputChannel('AgentBlocks Runs');
  private readonly changed = new vscode.EventEmitter<RunRecord | undefined>();
  /** Fires on every event of a run (and with undefined when the history is cleared). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.output, this.changed];
  /** The server does not implement the run methods: use the CLI. */
  private serverCannotRun = false;

  constructor(private readonly server: ServerManager) {
    this.disposables.push(
      server.onDidStart((client) => {
        this.serverCannotRun = false;
        client.onNotification(runEventNotification, (raw) => {
          const e = normalizeRunEvent(raw);
          if (e) this.onEvent(e);
        });
      }),
    );
  }

  get active(): RunRecord | undefined {
    return this.runs.find((r) => r.state.status === 'running');
  }

  latestFor(uri: vscode.Uri): RunRecord | undefined {
    return this.runs.find((r) => r.uri.toString() === uri.toString());
  }

  showOutput(): void {
    this.output.show(true);
  }

  clear(): void {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      if (this.runs[i]!.state.status !== 'running') this.runs.splice(i, 1);
    }
    this.changed.fire(undefined);
  }

  stop(): void {
    const r = this.active;
    if (!r) {
      void vscode.window.showInformationMessage('AgentBlocks: nothing is running.');
      return;
    }
    this.output.appendLine(`■ stopping run #${r.seq}`);
    r.cancel?.();
  }

  /** Runs and resolves when the run has ended. */
  async run(doc: vscode.TextDocument, target: RunTarget): Promise<RunRecord | undefined> {
    if (this.active) {
      void vscode.window.showWarningMessage('AgentBlocks: a run is already in progress; stop it first.');
      return undefined;
    }
    const rec: RunRecord = {
      seq: ++this.seq,
      uri: doc.uri,
      target,
      state: newRun(Date.now()),
      backend: 'server',
      order: [],
    };
    this.runs.unshift(rec);
    if (this.runs.length > MAX_HISTORY) this.runs.length = MAX_HISTORY;
    void vscode.commands.executeCommand('setContext', 'agentblocks.running', true);
    this.output.appendLine('');
    this.output.appendLine(`▶ run #${rec.seq}: ${targetLabel(target)} of ${vscode.workspace.asRelativePath(doc.uri)}`);
    this.changed.fire(rec);

    const title = `AgentBlocks: running ${targetLabel(target)}`;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const sub = this.onDidChange((r) => {
          if (r !== rec) return;
          const states = Object.values(rec.state.blocks);
          const done = states.filter((s) => ['succeeded', 'cached', 'failed', 'skipped'].includes(s.state)).length;
          const running = Object.entries(rec.state.blocks).filter(([, s]) => s.state === 'running').map(([id]) => id);
          progress.report({ message: `${done}/${states.length} blocks${running.length ? ` (running ${running.join(', ')})` : ''}` });
        });
        try {
          await this.execute(doc, rec, token);
        } catch (e) {
          this.output.appendLine(`✗ ${e instanceof Error ? e.message : String(e)}`);
          this.finish(rec, 'failed');
        } finally {
          sub.dispose();
          if (rec.state.status === 'running') this.finish(rec, token.isCancellationRequested ? 'cancelled' : 'failed');
          void vscode.commands.executeCommand('setContext', 'agentblocks.running', false);
        }
      },
    );
    const s = rec.state;
    const counts = Object.values(s.blocks).reduce<Record<string, number>>((acc, b) => {
      acc[b.state] = (acc[b.state] ?? 0) + 1;
      return acc;
    }, {});
    const summary = `run #${rec.seq} ${s.status}` + (s.finishedAt ? ` in ${formatDuration(s.finishedAt - s.startedAt)}` : '') +
      ` (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')})`;
    this.output.appendLine(`■ ${summary}`);
    if (s.status === 'failed') {
      void vscode.window.showErrorMessage(`AgentBlocks: ${summary}`, 'Show Log').then((p) => p && this.showOutput());
    }
    return rec;
  }

  private async execute(doc: vscode.TextDocument, rec: RunRecord, token: vscode.CancellationToken): Promise<void> {
    const client = this.server.client;
    if (client && this.server.state === 'running' && !this.serverCannotRun) {
      try {
        await this.viaServer(client, doc, rec, token);
        return;
      } catch (e) {
        if (!(e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound)) throw e;
        this.serverCannotRun = true;
        this.output.appendLine('(the server has no run methods; running with `agentblocks run --json`)');
      }
    }
    await this.viaCli(doc, rec, token);
  }

  private async viaServer(client: LanguageClient, doc: vscode.TextDocument, rec: RunRecord, token: vscode.CancellationToken): Promise<void> {
    rec.backend = 'server';
    const textDocument = { uri: client.code2ProtocolConverter.asUri(doc.uri) };
    const cts = new vscode.CancellationTokenSource();
    token.onCancellationRequested(() => cts.cancel());
    rec.cancel = () => cts.cancel();
    const t = rec.target;
    const result: unknown =
      t.kind === 'workflow'
        ? await client.sendRequest(runWorkflowRequest, { textDocument }, cts.token)
        : await client.sendRequest(runBlockRequest, { textDocument, block: t.block, upstream: t.upstream }, cts.token);
    // The answer carries the summary; the run_finished event may have come first.
    if (rec.state.status === 'running') {
      const status = typeof result === 'object' && result !== null && 'status' in result ? String((result as { status: unknown }).status) : 'succeeded';
      this.finish(rec, cts.token.isCancellationRequested ? 'cancelled' : status);
    }
  }

  private async viaCli(doc: vscode.TextDocument, rec: RunRecord, token: vscode.CancellationToken): Promise<void> {
    rec.backend = 'cli';
    const found = this.server.binary ?? this.server.locate();
    if ('error' in found) throw new Error(found.error);
    if (doc.isUntitled) throw new Error('save the workflow first: the command line runs files');
    if (doc.isDirty && !(await doc.save())) throw new Error('the workflow could not be saved');
    const file = doc.uri.fsPath;
    const args = ['run', file, '--json'];
    const t = rec.target;
    if (t.kind === 'block') args.push(t.upstream ? '--until' : '--block', t.block);
    if (!vscode.workspace.getConfiguration('agentblocks').get<boolean>('cache.enabled', true)) args.push('--no-cache');
    const cwd = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(file);
    // agentblocks.python.path reaches the server only: the command line has no option for it.
    const env = { ...process.env };
    this.output.appendLine(`$ ${found.path} ${args.join(' ')}`);
    const child: ChildProcess = spawn(found.path, args, { cwd, env, detached: process.platform !== 'win32' });
    const kill = () => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGINT');
        else child.kill('SIGINT');
      } catch {
        /* already gone */
      }
    };
    rec.cancel = kill;
    token.onCancellationRequested(kill);
    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          this.output.appendLine(line);
          continue;
        }
        const e = normalizeRunEvent({ ...(parsed as object), uri: doc.uri.toString() });
        if (e) this.applyTo(rec, e);
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.output.append(chunk));
    const code = await new Promise<number | null>((resolve) => {
      child.on('error', (e) => {
        this.output.appendLine(`✗ ${e.message}`);
        resolve(null);
      });
      child.on('close', (c) => resolve(c));
    });
    if (rec.state.status === 'running') {
      this.finish(rec, token.isCancellationRequested ? 'cancelled' : code === 0 ? 'succeeded' : 'failed');
    }
  }

  private finish(rec: RunRecord, status: string): void {
    const now = Date.now();
    this.applyTo(rec, {
      uri: rec.uri.toString(),
      ts: now,
      event: { event: 'run_finished', status, durationMs: now - rec.state.startedAt, succeeded: 0, cached: 0, failed: 0, skipped: 0 },
    }, true);
  }

  /** An event from the server: it belongs to the running run of its document. */
  private onEvent(e: RunEvent): void {
    const rec =
      this.runs.find((r) => r.state.status === 'running' && (e.runId === undefined || r.state.runId === undefined || r.state.runId === e.runId) && (e.uri === '' || r.uri.toString() === vscode.Uri.parse(e.uri).toString())) ??
      this.active;
    if (rec) this.applyTo(rec, e);
  }

  private applyTo(rec: RunRecord, e: RunEvent, quiet = false): void {
    rec.state = applyRunEvent(rec.state, e);
    const ev = e.event;
    if ('block' in ev && ev.block && !rec.order.includes(ev.block)) rec.order.push(ev.block);
    if (ev.event === 'run_started') for (const b of ev.blocks) if (!rec.order.includes(b)) rec.order.push(b);
    if (!quiet) this.logEvent(e);
    this.changed.fire(rec);
  }

  private logEvent(e: RunEvent): void {
    const ev = e.event;
    const time = new Date(e.ts).toLocaleTimeString();
    const line = (s: string) => this.output.appendLine(`[${time}] ${s}`);
    switch (ev.event) {
      case 'run_started':
        line(`run started: ${ev.blocks.join(', ')}${ev.mode ? ` (${ev.mode})` : ''}`);
        break;
      case 'block_started':
        line(`${ev.block}: started${ev.attempt > 1 ? ` (attempt ${ev.attempt})` : ''}`);
        break;
      case 'log':
        this.output.appendLine(`${ev.block ?? ''} | ${ev.line}`);
        break;
      case 'block_finished':
        line(`${ev.block}: ✓ succeeded in ${formatDuration(ev.durationMs)}`);
        for (const o of ev.outputs) this.output.appendLine(`    ${o.port} = ${o.preview}`);
        break;
      case 'block_cached':
        line(`${ev.block}: ✓ from the cache`);
        for (const o of ev.outputs) this.output.appendLine(`    ${o.port} = ${o.preview}`);
        break;
      case 'block_failed':
        line(`${ev.block}: ✗ ${ev.message}${ev.willRetry ? ' (will retry)' : ''}`);
        if (ev.traceback) this.output.appendLine(ev.traceback.replace(/^/gm, '    '));
        break;
      case 'block_skipped':
        line(`${ev.block}: skipped (${ev.reason})`);
        break;
      case 'warning':
        line(`warning: ${ev.message}`);
        break;
      case 'run_finished':
        line(`run ${ev.status} in ${formatDuration(ev.durationMs)}: ${ev.succeeded} succeeded, ${ev.cached} cached, ${ev.failed} failed, ${ev.skipped} skipped`);
        break;
      default:
        break;
    }
  }

  dispose(): void {
    this.active?.cancel?.();
    for (const d of this.disposables) d.dispose();
  }
}

// ------------------------------------------------------------------ the Runs tree

type Node =
  | { type: 'run'; run: RunRecord }
  | { type: 'block'; run: RunRecord; id: string; state: BlockRunState }
  | { type: 'output'; port: string; preview: string; value: unknown };

const ICONS: Record<BlockRunState['state'], [string, string | undefined]> = {
  idle: ['circle-outline', undefined],
  pending: ['circle-outline', 'descriptionForeground'],
  queued: ['clock', 'descriptionForeground'],
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  cached: ['database', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  skipped: ['debug-step-over', 'descriptionForeground'],
};

export class RunsTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly runs: RunController) {
    // Elapsed times of running blocks move on between events.
    setInterval(() => {
      if (this.runs.active) this.emitter.fire(undefined);
    }, 1000).unref();
    runs.onDidChange(() => {
      // Coalesce bursts of events.
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.emitter.fire(undefined);
      }, 100);
    });
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.runs.runs.map((run) => ({ type: 'run', run }));
    if (node.type === 'run') {
      return node.run.order
        .filter((id) => node.run.state.blocks[id])
        .map((id) => ({ type: 'block', run: node.run, id, state: node.run.state.blocks[id]! }));
    }
    if (node.type === 'block' && (node.state.state === 'succeeded' || node.state.state === 'cached')) {
      return node.state.outputs.map((o) => ({ type: 'output', port: o.port, preview: o.preview, value: o.value }));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    if (node.type === 'run') {
      const s = node.run.state;
      const item = new vscode.TreeItem(`#${node.run.seq} ${path.basename(node.run.uri.fsPath)}: ${targetLabel(node.run.target)}`, node.run === this.runs.runs[0] ? C.Expanded : C.Collapsed);
      const took = s.finishedAt ? ` in ${formatDuration(s.finishedAt - s.startedAt)}` : '';
      item.description = `${s.status}${took} · ${new Date(s.startedAt).toLocaleTimeString()}`;
      const icon = s.status === 'running' ? ICONS.running : s.status === 'succeeded' ? ICONS.succeeded : s.status === 'cancelled' ? ICONS.skipped : ICONS.failed;
      item.iconPath = new vscode.ThemeIcon(icon[0], icon[1] ? new vscode.ThemeColor(icon[1]) : undefined);
      item.contextValue = 'run';
      item.tooltip = `${node.run.uri.fsPath}\nrun by ${node.run.backend === 'server' ? 'the language server' : 'agentblocks run'}`;
      return item;
    }
    if (node.type === 'block') {
      const hasOutputs = (node.state.state === 'succeeded' || node.state.state === 'cached') && node.state.outputs.length > 0;
      const item = new vscode.TreeItem(node.id, hasOutputs ? C.Collapsed : C.None);
      item.description = runStateLabel(node.state, Date.now());
      const icon = ICONS[node.state.state];
      item.iconPath = new vscode.ThemeIcon(icon[0], icon[1] ? new vscode.ThemeColor(icon[1]) : undefined);
      item.command = { title: 'Reveal', command: 'agentblocks.revealBlock', arguments: [node.run.uri, node.id] };
      return item;
    }
    const item = new vscode.TreeItem(node.port, C.None);
    item.description = node.preview;
    item.tooltip = new vscode.MarkdownString().appendCodeblock(JSON.stringify(node.value, null, 2), 'json');
    item.iconPath = new vscode.ThemeIcon('symbol-field');
    return item;
  }
}
