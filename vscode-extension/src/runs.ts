/**
 * Running workflows and blocks: through the language server (`agentblocks/runWorkflow`,
 * `agentblocks/runBlock`, its `agentblocks/runEvent` notifications, `agentblocks/cancelRun`)
 * whenever it runs, so unsaved text runs and hovers show the last values; only when there is no
 * server (or an old one without the run methods) through `agentblocks run --json` with the same
 * binary. Either way the engine's events feed one run state, the output channel, the "Runs"
 * tree and the preview.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError, WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import {
  cancelRunRequest,
  runBlockRequest,
  runEventNotification,
  runWorkflowRequest,
  type RunEvent,
  type RunParams,
  type RunResult,
} from './lsp_ext';
import {
  applyRunEvent,
  formatDuration,
  newRun,
  normalizeRunEvent,
  runStateLabel,
  type BlockRunState,
  type RunState,
} from './preview/model';
import { serverSettings, type ServerManager } from './client';

/** A whole workflow, one block (its inputs from the cache), or a block and its upstream. */
export type RunTarget = { kind: 'workflow' } | { kind: 'block'; block: string; until: boolean };

export interface RunRecord {
  seq: number;
  uri: vscode.Uri;
  target: RunTarget;
  state: RunState;
  backend: 'server' | 'cli';
  /** Block ids in the order they reported, for the tree. */
  order: string[];
  cancel?: () => void;
  /** The server's final report (server runs). */
  result?: RunResult;
  /** Why the run could not start or broke off (e.g. the server refused a workflow with errors). */
  error?: string;
  /** The run's progress notification. */
  progress?: vscode.Progress<{ message?: string; increment?: number }>;
}

const MAX_HISTORY = 20;

export function targetLabel(t: RunTarget): string {
  if (t.kind === 'workflow') return 'workflow';
  return t.until ? `up to ${t.block}` : `block ${t.block}`;
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

  /** Stops the run of `uri`, else the run under way. */
  stop(uri?: vscode.Uri): void {
    const r = (uri && this.runs.find((x) => x.state.status === 'running' && x.uri.toString() === uri.toString())) || this.active;
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
        rec.progress = progress;
        // A command-line run reports from its events; a server run from the server's progress.
        const sub = this.onDidChange((r) => {
          if (r !== rec || rec.backend !== 'cli') return;
          const states = Object.values(rec.state.blocks);
          const done = states.filter((s) => ['succeeded', 'cached', 'failed', 'skipped'].includes(s.state)).length;
          const running = Object.entries(rec.state.blocks).filter(([, s]) => s.state === 'running').map(([id]) => id);
          progress.report({ message: `${done}/${states.length} blocks${running.length ? ` (running ${running.join(', ')})` : ''}` });
        });
        token.onCancellationRequested(() => rec.cancel?.());
        try {
          await this.execute(doc, rec);
        } catch (e) {
          rec.error = e instanceof Error ? e.message : String(e);
          this.output.appendLine(`✗ ${rec.error}`);
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
      (rec.error ? `: ${rec.error}` : ` (${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')})`);
    this.output.appendLine(`■ ${summary}`);
    if (s.status === 'failed') {
      void vscode.window.showErrorMessage(`AgentBlocks: ${summary}`, 'Show Log').then((p) => p && this.showOutput());
    }
    return rec;
  }

  private async execute(doc: vscode.TextDocument, rec: RunRecord): Promise<void> {
    const client = await this.server.ready();
    if (client && !this.serverCannotRun) {
      try {
        await this.viaServer(client, doc, rec);
        return;
      } catch (e) {
        if (!(e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound)) throw e;
        this.serverCannotRun = true;
        this.output.appendLine('(the server has no run methods; running with `agentblocks run --json`)');
      }
    }
    await this.viaCli(doc, rec);
  }

  private async viaServer(client: LanguageClient, doc: vscode.TextDocument, rec: RunRecord): Promise<void> {
    rec.backend = 'server';
    const textDocument = { uri: client.code2ProtocolConverter.asUri(doc.uri) };
    // Stop asks the server (agentblocks/cancelRun): the run request then answers `cancelled`.
    let stopping = false;
    rec.cancel = () => {
      if (stopping) return;
      stopping = true;
      client.sendRequest(cancelRunRequest, { textDocument }).catch((e) => this.output.appendLine(`✗ cancelRun: ${String(e)}`));
    };
    // The server reports the run's progress on our token, shown in the run's notification
    // (without a token it would make its own, a second progress indicator).
    const workDoneToken = `agentblocks/vscode/run/${rec.seq}`;
    let percentage = 0;
    const progress = client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
      if (v.kind === 'end') return;
      const increment = v.percentage !== undefined ? Math.max(0, v.percentage - percentage) : undefined;
      if (v.percentage !== undefined) percentage = Math.max(percentage, v.percentage);
      rec.progress?.report({ message: v.message, increment });
    });
    const t = rec.target;
    const params: RunParams =
      t.kind === 'workflow' ? { textDocument, workDoneToken } : t.until ? { textDocument, until: t.block, workDoneToken } : { textDocument, block: t.block, workDoneToken };
    let result: RunResult;
    try {
      result = await client.sendRequest(t.kind === 'workflow' ? runWorkflowRequest : runBlockRequest, params);
    } finally {
      progress.dispose();
    }
    rec.result = result;
    // Every runEvent of the run came before the answer; the answer is the last word anyway.
    if (rec.state.status === 'running') this.finish(rec, result.status);
  }

  private async viaCli(doc: vscode.TextDocument, rec: RunRecord): Promise<void> {
    rec.backend = 'cli';
    const found = this.server.binary ?? this.server.locate();
    if ('error' in found) throw new Error(found.error);
    if (doc.isUntitled) throw new Error('save the workflow first: the command line runs files');
    if (doc.isDirty && !(await doc.save())) throw new Error('the workflow could not be saved');
    const file = doc.uri.fsPath;
    const args = ['run', file, '--json'];
    const t = rec.target;
    if (t.kind === 'block') args.push(t.until ? '--until' : '--block', t.block);
    const settings = serverSettings();
    if (!settings.cache) args.push('--no-cache');
    if (settings.pythonPath) args.push('--python', settings.pythonPath);
    const cwd = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(file);
    const env = { ...process.env };
    this.output.appendLine(`$ ${found.path} ${args.join(' ')}`);
    const child: ChildProcess = spawn(found.path, args, { cwd, env, detached: process.platform !== 'win32' });
    let killed = false;
    const kill = () => {
      killed = true;
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGINT');
        else child.kill('SIGINT');
      } catch {
        /* already gone */
      }
    };
    rec.cancel = kill;
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
        const e = normalizeRunEvent({ uri: doc.uri.toString(), event: parsed });
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
      this.finish(rec, killed ? 'cancelled' : code === 0 ? 'succeeded' : 'failed');
    }
  }

  private finish(rec: RunRecord, status: string): void {
    const now = Date.now();
    this.applyTo(rec, {
      uri: rec.uri.toString(),
      event: { ts_ms: now, event: 'run_finished', status, duration_ms: now - rec.state.startedAt, succeeded: 0, cached: 0, failed: 0, skipped: 0 },
    }, true);
  }

  /**
   * An event from the server: it belongs to the server run of its document under way (the
   * first event tells the run its server `runId`). Events of other runs are left out.
   */
  private onEvent(e: RunEvent): void {
    const uri = e.uri ? vscode.Uri.parse(e.uri).toString() : undefined;
    const rec = this.runs.find(
      (r) =>
        r.backend === 'server' &&
        r.state.status === 'running' &&
        (uri === undefined || r.uri.toString() === uri) &&
        (r.state.runId === undefined || r.state.runId === e.runId),
    );
    if (rec) this.applyTo(rec, e);
  }

  private applyTo(rec: RunRecord, e: RunEvent, quiet = false): void {
    rec.state = applyRunEvent(rec.state, e);
    const ev = e.event;
    if (ev.block && !rec.order.includes(ev.block)) rec.order.push(ev.block);
    if (ev.event === 'run_started') for (const b of ev.blocks) if (!rec.order.includes(b)) rec.order.push(b);
    if (!quiet) this.logEvent(e);
    this.changed.fire(rec);
  }

  private logEvent(e: RunEvent): void {
    const ev = e.event;
    const time = new Date(ev.ts_ms).toLocaleTimeString();
    const line = (s: string) => this.output.appendLine(`[${time}] ${s}`);
    switch (ev.event) {
      case 'run_started':
        line(`run started${ev.run_id ? ` (history #${ev.run_id})` : ''}: ${ev.blocks.join(', ')} (${ev.mode})`);
        break;
      case 'block_started':
        line(`${ev.block}: started${ev.attempt > 1 ? ` (attempt ${ev.attempt})` : ''}`);
        break;
      case 'log':
        this.output.appendLine(`${ev.block ?? ''} | ${ev.line}`);
        break;
      case 'block_finished':
        line(`${ev.block}: ✓ succeeded in ${formatDuration(ev.duration_ms)}`);
        for (const o of ev.outputs) this.output.appendLine(`    ${o.port} = ${o.preview}`);
        break;
      case 'block_cached':
        line(`${ev.block}: ✓ from the cache`);
        for (const o of ev.outputs) this.output.appendLine(`    ${o.port} = ${o.preview}`);
        break;
      case 'block_failed':
        line(`${ev.block}: ✗ ${ev.error.message}${ev.will_retry ? ` (attempt ${ev.attempt}, will retry)` : ''}`);
        if (ev.error.traceback) this.output.appendLine(ev.error.traceback.replace(/^/gm, '    '));
        break;
      case 'block_skipped':
        line(`${ev.block}: skipped (${ev.reason})`);
        break;
      case 'warning':
        line(`${ev.block ? `${ev.block}: ` : ''}warning: ${ev.message}`);
        break;
      case 'run_finished':
        line(`run ${ev.status} in ${formatDuration(ev.duration_ms)}: ${ev.succeeded} succeeded, ${ev.cached} cached, ${ev.failed} failed, ${ev.skipped} skipped`);
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
      const history = s.historyId ? `\nin the history: agentblocks runs ${s.historyId}` : '';
      item.tooltip = `${node.run.uri.fsPath}\nrun by ${node.run.backend === 'server' ? 'the language server' : 'agentblocks run'}${history}${node.run.error ? `\n${node.run.error}` : ''}`;
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
