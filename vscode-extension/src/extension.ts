/** The AgentBlocks extension: language client, preview, runs, conversions. */
import * as vscode from 'vscode';
import { ServerManager, type ServerState } from './client';
import { convertFile, openAsText } from './convert';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';
import { graphRequest, SERVER_COMMANDS, type CommandArgs, type ExpandTemplateResult } from './lsp_ext';
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
  /** A server command's argument (`{ uri, block? }`, as the code lenses carry it). */
  const commandArgs = (arg: unknown): CommandArgs | undefined => {
    if (typeof arg !== 'object' || arg === null || arg instanceof vscode.Uri) return undefined;
    const { uri, block } = arg as Record<string, unknown>;
    return typeof uri === 'string' ? { uri, block: typeof block === 'string' ? block : undefined } : undefined;
  };

  /**
   * The workflow document: an explicit URI (explorer, preview), the lens argument `{ uri, block }`,
   * or the active editor.
   */
  const workflowDoc = async (arg: unknown): Promise<vscode.TextDocument | undefined> => {
    if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
    if (typeof arg === 'string' && arg.includes(':')) return vscode.workspace.openTextDocument(vscode.Uri.parse(arg));
    const args = commandArgs(arg);
    if (args) return vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri));
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

  /** The block a command is about: `{ uri, block }` (lens), `(uri, block)`, or at the cursor. */
  const commandBlock = async (doc: vscode.TextDocument, arg: unknown, block: unknown): Promise<string | undefined> =>
    commandArgs(arg)?.block ?? (typeof block === 'string' ? block : await blockAtCursor(doc));

  const runBlockCommand = (until: boolean) => async (arg?: unknown, block?: unknown) => {
    const doc = await workflowDoc(arg);
    if (!doc) return;
    const id = await commandBlock(doc, arg, block);
    if (!id) return;
    const target: RunTarget = { kind: 'block', block: id, until };
    await runs.run(doc, target);
  };

  /** `agentblocks.expandTemplate`: the server expands the template; an untitled editor shows it. */
  const expandTemplate = async (arg?: unknown, block?: unknown) => {
    const doc = await workflowDoc(arg);
    if (!doc) return;
    const client = await server.ready();
    if (!client) {
      void vscode.window.showWarningMessage('AgentBlocks: Expand Template needs the language server, which is not running.');
      return;
    }
    const id = await commandBlock(doc, arg, block);
    if (!id) return;
    const args: CommandArgs = { uri: client.code2ProtocolConverter.asUri(doc.uri), block: id };
    try {
      const r = (await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.expandTemplate, arguments: [args] })) as ExpandTemplateResult;
      const shown = await vscode.workspace.openTextDocument({ language: r.language, content: r.code });
      await vscode.window.showTextDocument(shown, vscode.ViewColumn.Beside);
    } catch (e) {
      void vscode.window.showErrorMessage(`AgentBlocks: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // ---------------------------------------------------------------- commands
  const openPreview = async (arg: unknown, column: vscode.ViewColumn) => {
    const doc = await workflowDoc(arg);
    if (doc) previews.open(doc.uri, column);
  };
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg('agentblocks.openPreviewToSide', (arg) => openPreview(arg, vscode.ViewColumn.Beside));
  reg('agentblocks.openPreview', (arg) => openPreview(arg, vscode.ViewColumn.Active));
  reg(SERVER_COMMANDS.runWorkflow, async (arg) => {
    const doc = await workflowDoc(arg);
    if (doc) await runs.run(doc, { kind: 'workflow' });
  });
  // The server's code lenses carry these with `{ uri, block }` (see SERVER_COMMANDS).
  reg(SERVER_COMMANDS.runBlock, runBlockCommand(false));
  reg(SERVER_COMMANDS.runToHere, runBlockCommand(true));
  reg(SERVER_COMMANDS.cancelRun, async (arg) => {
    const doc = await workflowDoc(arg);
    if (doc) runs.stop(doc.uri);
  });
  reg(SERVER_COMMANDS.expandTemplate, expandTemplate);
  reg('agentblocks.stop', (arg) => runs.stop(arg instanceof vscode.Uri ? arg : undefined));
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
