/** The graph preview beside the text: one webview panel per workflow document. */
import path from 'node:path';
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { graphRequest, moveBlockRequest, type Graph } from '../lsp_ext';
import type { ServerManager } from '../client';
import type { RunController } from '../runs';
import { normalizeGraph } from './model';
import { moveEditForHeader } from './move';
import type { FromWebview, ToWebview } from './protocol';

const VIEW_TYPE = 'agentblocks.preview';

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(Math.random() * chars.length));
  return s;
}

class Preview implements vscode.Disposable {
  private graph: Graph | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private pending: ToWebview[] = [];
  private requestSeq = 0;

  constructor(
    readonly uri: vscode.Uri,
    readonly panel: vscode.WebviewPanel,
    private readonly manager: PreviewManager,
  ) {
    const w = panel.webview;
    w.html = this.html(w);
    this.disposables.push(
      w.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        if (panel.visible) this.schedule(0);
      }),
    );
  }

  private html(w: vscode.Webview): string {
    const ext = this.manager.context.extensionUri;
    const css = w.asWebviewUri(vscode.Uri.joinPath(ext, 'media', 'preview.css'));
    const js = w.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js'));
    const n = nonce();
    const csp = [
      "default-src 'none'",
      `style-src ${w.cspSource}`,
      `img-src ${w.cspSource} data:`,
      `font-src ${w.cspSource}`,
      `script-src 'nonce-${n}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${css}">
<title>AgentBlocks Preview</title>
</head>
<body>
<div id="toolbar">
  <span id="title"></span>
  <span id="run-status" data-status=""></span>
  <span class="spacer"></span>
  <button id="run" title="Run Workflow">▶ Run</button>
  <button id="zoom-out" title="Zoom out">−</button>
  <span id="zoom-level">100%</span>
  <button id="zoom-in" title="Zoom in">+</button>
  <button id="fit" title="Fit the graph in the view">Fit</button>
</div>
<div id="banner" hidden></div>
<div id="canvas" tabindex="0"><div id="world"><svg id="edges" xmlns="http://www.w3.org/2000/svg"></svg><div id="nodes"></div></div></div>
<div id="minimap" hidden><svg xmlns="http://www.w3.org/2000/svg"></svg></div>
<script nonce="${n}" src="${js}"></script>
</body>
</html>`;
  }

  post(m: ToWebview): void {
    if (!this.ready) {
      // Keep only the latest graph/run while the webview loads.
      this.pending = this.pending.filter((p) => p.type !== m.type);
      this.pending.push(m);
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  schedule(delay?: number): void {
    if (this.timer) clearTimeout(this.timer);
    const ms = delay ?? vscode.workspace.getConfiguration('agentblocks').get<number>('preview.debounceMs', 150);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  async refresh(): Promise<void> {
    const client = this.manager.server.client;
    if (!client || this.manager.server.state !== 'running') {
      const state = this.manager.server.state;
      this.post({
        type: 'message',
        severity: state === 'missing' || state === 'failed' ? 'error' : 'info',
        text: state === 'missing' ? 'The AgentBlocks language server was not found: set agentblocks.server.path.' : `The language server is ${state}…`,
      });
      return;
    }
    const seq = ++this.requestSeq;
    try {
      const raw = await client.sendRequest(graphRequest, { textDocument: { uri: client.code2ProtocolConverter.asUri(this.uri) } });
      if (seq !== this.requestSeq) return; // a newer request is on its way
      this.graph = normalizeGraph(raw);
      this.post({ type: 'graph', graph: this.graph, fileName: path.basename(this.uri.fsPath) });
      this.postRun();
    } catch (e) {
      if (seq !== this.requestSeq) return;
      const text =
        e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound
          ? 'This version of the language server does not answer agentblocks/graph.'
          : `The graph could not be computed: ${e instanceof Error ? e.message : String(e)}`;
      this.post({ type: 'message', severity: 'error', text });
    }
  }

  postRun(): void {
    const rec = this.manager.runs.latestFor(this.uri);
    if (!rec) {
      this.post({ type: 'run', status: null, label: '', blocks: {}, now: Date.now() });
      return;
    }
    this.post({
      type: 'run',
      status: rec.state.status,
      label: `run #${rec.seq}`,
      blocks: rec.state.blocks,
      now: Date.now(),
    });
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        for (const p of this.pending.splice(0)) void this.panel.webview.postMessage(p);
        this.schedule(0);
        break;
      case 'reveal':
        await this.manager.reveal(this.uri, m.block);
        break;
      case 'move':
        await this.move(m.block, m.x, m.y);
        break;
      case 'runBlock':
        await vscode.commands.executeCommand('agentblocks.runBlock', { uri: this.uri.toString(), block: m.block });
        break;
      case 'runWorkflow':
        await vscode.commands.executeCommand('agentblocks.runWorkflow', this.uri);
        break;
      case 'stop':
        await vscode.commands.executeCommand('agentblocks.stop', this.uri);
        break;
    }
  }

  private async move(block: string, x: number, y: number): Promise<void> {
    const client = this.manager.server.client;
    const doc = await vscode.workspace.openTextDocument(this.uri);
    if (client) {
      try {
        const edit = await client.sendRequest(moveBlockRequest, {
          textDocument: { uri: client.code2ProtocolConverter.asUri(this.uri) },
          block,
          x: Math.round(x),
          y: Math.round(y),
        });
        if (edit) {
          const we = await client.protocol2CodeConverter.asWorkspaceEdit(edit);
          if (!(await vscode.workspace.applyEdit(we))) throw new Error('the edit was not applied');
        }
        return;
      } catch (e) {
        if (!(e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound)) {
          void vscode.window.showErrorMessage(`AgentBlocks: moving ${block} failed: ${e instanceof Error ? e.message : String(e)}`);
          this.schedule(0);
          return;
        }
      }
    }
    // The server cannot move blocks: change the header line ourselves.
    const b = this.graph?.blocks.find((g) => g.id === block);
    const line = b ? b.range.start.line : -1;
    const e = line >= 0 && line < doc.lineCount ? moveEditForHeader(doc.lineAt(line).text, x, y) : undefined;
    if (!e) {
      this.schedule(0);
      return;
    }
    const we = new vscode.WorkspaceEdit();
    we.replace(this.uri, new vscode.Range(line, e.start, line, e.end), e.text);
    await vscode.workspace.applyEdit(we);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.manager.forget(this);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

export class PreviewManager implements vscode.Disposable {
  private readonly previews = new Map<string, Preview>();
  private readonly disposables: vscode.Disposable[] = [];
  private runTick: NodeJS.Timeout | undefined;
  private readonly runChanged = new Set<string>();

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly server: ServerManager,
    readonly runs: RunController,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.previews.get(e.document.uri.toString())?.schedule()),
      server.onDidChangeState(() => {
        for (const p of this.previews.values()) p.schedule(0);
      }),
      runs.onDidChange((rec) => {
        // Coalesce event bursts into one message per changed preview every 50 ms.
        this.runChanged.add(rec ? rec.uri.toString() : '*');
        if (this.runTick) return;
        this.runTick = setTimeout(() => {
          this.runTick = undefined;
          const changed = new Set(this.runChanged);
          this.runChanged.clear();
          for (const p of this.previews.values()) if (changed.has('*') || changed.has(p.uri.toString())) p.postRun();
        }, 50);
      }),
    );
  }

  open(uri: vscode.Uri, column: vscode.ViewColumn): void {
    const existing = this.previews.get(uri.toString());
    if (existing) {
      existing.panel.reveal(column, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      `Preview ${path.basename(uri.fsPath)}`,
      { viewColumn: column, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [
          vscode.Uri.joinPath(this.context.extensionUri, 'media'),
          vscode.Uri.joinPath(this.context.extensionUri, 'dist'),
        ],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'preview.svg');
    const p = new Preview(uri, panel, this);
    this.previews.set(uri.toString(), p);
  }

  forget(p: Preview): void {
    if (this.previews.get(p.uri.toString()) === p) this.previews.delete(p.uri.toString());
  }

  async reveal(uri: vscode.Uri, block: string): Promise<void> {
    const client = this.server.client;
    let graph: Graph | undefined;
    if (client) {
      try {
        graph = normalizeGraph(await client.sendRequest(graphRequest, { textDocument: { uri: client.code2ProtocolConverter.asUri(uri) } }));
      } catch {
        graph = undefined;
      }
    }
    const b = graph?.blocks.find((x) => x.id === block);
    const doc = await vscode.workspace.openTextDocument(uri);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const r = b?.idRange ?? b?.range;
    const range = r ? new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) : undefined;
    const editor = await vscode.window.showTextDocument(doc, {
      viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
      selection: range,
      preserveFocus: false,
    });
    if (range) editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    for (const p of [...this.previews.values()]) p.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
