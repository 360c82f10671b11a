/** Starting, restarting and watching the language server (`agentblocks lsp`). */
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { findServer, type Found } from './server_path';
import { codeBodyLines, dropTokensOnLines } from './semantic';
import { SERVER_COMMANDS, type InitializationOptions, type ServerSettings } from './lsp_ext';

export type ServerState = 'starting' | 'running' | 'stopped' | 'missing' | 'failed';

export const DOCUMENT_SELECTOR = [
  { language: 'agentblocks', scheme: 'file' },
  { language: 'agentblocks', scheme: 'untitled' },
  { language: 'agentblocks-json', scheme: 'file' },
  { language: 'agentblocks-json', scheme: 'untitled' },
];

/** The settings the server reads (lsp/src/config.rs), from the `agentblocks` section. */
export function serverSettings(): ServerSettings {
  const c = vscode.workspace.getConfiguration('agentblocks');
  const timeout = c.get<number>('run.timeout') ?? 0;
  return {
    cache: c.get<boolean>('cache.enabled') ?? true,
    runTimeout: Number.isFinite(timeout) && timeout > 0 ? timeout : null,
    pythonPath: c.get<string>('python.path')?.trim() ?? '',
  };
}

/** What the extension tells the server at `initialize`. */
export function initializationOptions(): InitializationOptions {
  return {
    agentblocks: serverSettings(),
    // The extension's own commands of these names run the lenses (progress, Runs view,
    // preview); the server must not declare them, or the client would register them too.
    clientCommands: Object.values(SERVER_COMMANDS),
  };
}

export class ServerManager implements vscode.Disposable {
  client: LanguageClient | undefined;
  state: ServerState = 'stopped';
  binary: Found | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly readyEmitter = new vscode.EventEmitter<LanguageClient>();
  /** Fires each time a client has started (after a restart too). */
  readonly onDidStart = this.readyEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  readonly log: vscode.LogOutputChannel;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('AgentBlocks Language Server', { log: true });
    this.disposables.push(
      this.log,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('agentblocks.server')) void this.restart();
        else if (e.affectsConfiguration('agentblocks') && this.client && this.state === 'running') {
          void this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { agentblocks: serverSettings() } });
        }
      }),
    );
  }

  private setState(s: ServerState): void {
    this.state = s;
    this.stateEmitter.fire(s);
  }

  /** The binary to run, also for the CLI fallbacks (conversion, runs). */
  locate(): Found | { error: string } {
    const cfg = vscode.workspace.getConfiguration('agentblocks');
    return findServer({
      setting: cfg.get<string>('server.path') ?? '',
      envPath: process.env.PATH ?? '',
      extensionPath: this.context.extensionPath,
      platform: process.platform,
      home: process.env.HOME ?? process.env.USERPROFILE ?? '',
    });
  }

  async start(): Promise<void> {
    const found = this.locate();
    if ('error' in found) {
      this.binary = undefined;
      this.setState('missing');
      this.log.error(found.error);
      void this.notifyMissing(found.error);
      return;
    }
    this.binary = found;
    this.log.info(`starting ${found.path} lsp (from ${found.source})`);
    const cfg = vscode.workspace.getConfiguration('agentblocks');
    const args = ['lsp', ...(cfg.get<string[]>('server.extraArgs') ?? [])];
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    // No `transport`: stdio without the `--stdio` argument the client would add.
    const serverOptions: ServerOptions = {
      run: { command: found.path, args, options: { cwd } },
      debug: { command: found.path, args, options: { cwd } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.log,
      traceOutputChannel: this.log,
      // Settings changes are sent by the constructor's listener, in the server's shape.
      initializationOptions: initializationOptions(),
      markdown: { isTrusted: false, supportHtml: false },
      middleware: {
        // Keep the embedded languages' colours in code bodies (see semantic.ts). Without a
        // resultId VS Code asks for full tokens each time, never for edits we could not filter.
        provideDocumentSemanticTokens: async (doc, token, next) => {
          const tokens = await next(doc, token);
          if (!tokens || doc.languageId !== 'agentblocks') return tokens;
          const lines = doc.getText().split(/\r?\n/);
          return new vscode.SemanticTokens(Uint32Array.from(dropTokensOnLines(tokens.data, codeBodyLines(lines))));
        },
        provideDocumentRangeSemanticTokens: async (doc, range, token, next) => {
          const tokens = await next(doc, range, token);
          if (!tokens || doc.languageId !== 'agentblocks') return tokens;
          const lines = doc.getText().split(/\r?\n/);
          return new vscode.SemanticTokens(Uint32Array.from(dropTokensOnLines(tokens.data, codeBodyLines(lines))));
        },
      },
    };
    const client = new LanguageClient('agentblocks', 'AgentBlocks Language Server', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (client !== this.client) return;
      if (e.newState === State.Running) this.setState('running');
      else if (e.newState === State.Starting) this.setState('starting');
      else this.setState(this.state === 'failed' ? 'failed' : 'stopped');
    });
    this.setState('starting');
    try {
      await client.start();
      this.readyEmitter.fire(client);
    } catch (e) {
      this.setState('failed');
      const msg = e instanceof Error ? e.message : String(e);
      this.log.error(`the server did not start: ${msg}`);
      const pick = await vscode.window.showErrorMessage(
        `AgentBlocks: the language server (${found.path}) did not start: ${msg}`,
        'Show Log',
        'Open Settings',
      );
      if (pick === 'Show Log') this.log.show();
      if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'agentblocks.server.path');
    }
  }

  /**
   * The running client: at once when the server runs, after it has started when it is starting,
   * undefined when there is none (missing, failed, stopped).
   */
  async ready(timeoutMs = 30000): Promise<LanguageClient | undefined> {
    if (this.state === 'running' && this.client) return this.client;
    if (this.state !== 'starting') return undefined;
    return new Promise((resolve) => {
      const done = (c: LanguageClient | undefined) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(c);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const sub = this.onDidChangeState((s) => {
        if (s === 'running') done(this.client);
        else if (s !== 'starting') done(undefined);
      });
    });
  }

  private async notifyMissing(error: string): Promise<void> {
    const pick = await vscode.window.showErrorMessage(
      `AgentBlocks: ${error} Install it (cargo install --path . in the AgentBlocks repository) or set agentblocks.server.path.`,
      'Set agentblocks.server.path',
      'Retry',
    );
    if (pick === 'Set agentblocks.server.path') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'agentblocks.server.path');
    } else if (pick === 'Retry') {
      await this.restart();
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.stop(5000);
      } catch (e) {
        this.log.warn(`stopping the server: ${String(e)}`);
      }
    }
    this.setState('stopped');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
}
