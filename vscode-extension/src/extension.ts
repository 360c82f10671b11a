/** The AgentBlocks extension: language client, preview, runs, conversions. */
import * as vscode from 'vscode';
import { ServerManager, type ServerState } from './client';
import { convertFile, openAsText } from './convert';
import { graphRequest } from './lsp_ext';
import { normalizeGraph, formatDuration } from './preview/model';
import { PreviewManager } from './preview/panel';
import { RunController, RunsTree, type RunTarget } from './runs';

const LANGS = new Set(['agentblocks', 'agentblocks-json']);

export interface Api {
  server: ServerManager;
  runs: RunController;
}

export async function activate(context: vscode.ExtensionContext): Promise<Api> {
  const server = new ServerManager(context);
  const runs = new RunController(server);
  const previews = new PreviewManager(context, server, runs);
  const status = vscode.window.createStatusBarItem('agentblocks.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'AgentBlocks';
  context.subscriptions.push(server, runs, previews, status);
  context.subscriptions.push(vscode.window.registerTreeDataProvider('agentblocks.runs', new RunsTree(runs)));

  // ---------------------------------------------------------------- status bar
  const ICON: Record<ServerState, string> = {
    starting: '$(sync~spin)',
    running: '$(pass)',
    stopped: '$(circle-slash)',
    missing: '$(warning)',
    failed: '$(error)',
  };
  const updateStatus = () => {
    const last = runs.runs[0];
    let runText = '';
    if (last) {
      const s = last.state;
      runText =
        s.status === 'running'
          ? ' $(loading~spin) running'
          : ` ${s.status === 'succeeded' ? '$(check)' : '$(x)'} ${s.status}${s.finishedAt ? ` ${formatDuration(s.finishedAt - s.startedAt)}` : ''}`;
    }
    status.text = `${ICON[server.state]} AgentBlocks${runText}`;
    const bin = server.binary ? `${server.binary.path} (${server.binary.source})` : 'not found';
    status.tooltip = `Language server: ${server.state}\n${bin}${last ? `\nLast run: #${last.seq} ${last.state.status}` : ''}\nClick for the run log`;
    status.command = server.state === 'missing' ? { title: 'Settings', command: 'workbench.action.openSettings', arguments: ['agentblocks.server.path'] } : 'agentblocks.showOutput';
    status.backgroundColor = server.state === 'missing' || server.state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const ed = vscode.window.activeTextEditor;
    if (ed && LANGS.has(ed.document.languageId)) status.show();
    else if (!last) status.hide();
  };
  context.subscriptions.push(
    server.onDidChangeState(updateStatus),
    runs.onDidChange(updateStatus),
    vscode.window.onDidChangeActiveTextEditor(updateStatus),
  );
  updateStatus();

  // ---------------------------------------------------------------- helpers
  /** The workflow document: an explicit URI (code lens, preview, explorer) or the active editor. */
  const workflowDoc = async (arg: unknown): Promise<vscode.TextDocument | undefined> => {
    if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
    if (typeof arg === 'string' && arg.includes(':')) return vscode.workspace.openTextDocument(vscode.Uri.parse(arg));
    const ed = vscode.window.activeTextEditor;
    if (ed && LANGS.has(ed.document.languageId)) return ed.document;
    const visible = vscode.window.visibleTextEditors.find((e) => LANGS.has(e.document.languageId));
    if (visible) return visible.document;
    void vscode.window.showWarningMessage('AgentBlocks: open a workflow (.ab or .agentblocks) first.');
    return undefined;
  };

  /** The block at the cursor, from the graph's block ranges. */
  const blockAtCursor = async (doc: vscode.TextDocument): Promise<string | undefined> => {
    const ed = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const client = server.client;
    if (!ed || !client) return undefined;
    const g = normalizeGraph(await client.sendRequest(graphRequest, { textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) } }));
    const pos = ed.selection.active;
    const hit = g.blocks.find((b) => {
      const r = new vscode.Range(b.range.start.line, b.range.start.character, b.range.end.line, b.range.end.character);
      return r.contains(pos);
    });
    if (hit) return hit.id;
    const pick = await vscode.window.showQuickPick(
      g.blocks.map((b) => ({ label: b.id, description: `${b.kindLabel}${b.name ? ` · ${b.name}` : ''}` })),
      { placeHolder: 'The cursor is not in a block: pick one' },
    );
    return pick?.label;
  };

  const runBlockCommand = (upstream: boolean) => async (arg?: unknown, block?: unknown) => {
    const doc = await workflowDoc(arg);
    if (!doc) return;
    const id = typeof block === 'string' ? block : await blockAtCursor(doc);
    if (!id) return;
    const target: RunTarget = { kind: 'block', block: id, upstream };
    await runs.run(doc, target);
  };

  // ---------------------------------------------------------------- commands
  const openPreview = async (arg: unknown, column: vscode.ViewColumn) => {
    const doc = await workflowDoc(arg);
    if (doc) previews.open(doc.uri, column);
  };
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('agentblocks.openPreviewToSide', (arg) => openPreview(arg, vscode.ViewColumn.Beside));
  reg('agentblocks.openPreview', (arg) => openPreview(arg, vscode.ViewColumn.Active));
  reg('agentblocks.runWorkflow', async (arg) => {
    const doc = await workflowDoc(arg);
    if (doc) await runs.run(doc, { kind: 'workflow' });
  });
  reg('agentblocks.runBlock', runBlockCommand(false));
  reg('agentblocks.runToHere', runBlockCommand(true));
  reg('agentblocks.stop', () => runs.stop());
  reg('agentblocks.restartServer', () => server.restart());
  reg('agentblocks.showOutput', () => runs.showOutput());
  reg('agentblocks.clearRuns', () => runs.clear());
  reg('agentblocks.revealBlock', (uri, block) => {
    if (uri instanceof vscode.Uri && typeof block === 'string') return previews.reveal(uri, block);
    return undefined;
  });
  reg('agentblocks.convertToJson', (arg) => convertFile(server, arg, '.ab'));
  reg('agentblocks.convertToText', (arg) => convertFile(server, arg, '.agentblocks'));
  reg('agentblocks.openAsText', (arg) => openAsText(server, arg));

  await server.start();
  return { server, runs };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the server and any run.
}
