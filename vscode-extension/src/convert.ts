/** Conversions between `.ab` text and `.agentblocks` JSON with `agentblocks convert`. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ServerManager } from './client';

function run(bin: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function binary(server: ServerManager): string {
  const found = server.binary ?? server.locate();
  if ('error' in found) throw new Error(found.error);
  return found.path;
}

/** The document to convert: the argument (explorer), else the active editor. */
async function source(arg: unknown, ext: string): Promise<vscode.TextDocument | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri || path.extname(uri.fsPath) !== ext) {
    void vscode.window.showWarningMessage(`AgentBlocks: open or select a ${ext} file to convert.`);
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty) await doc.save();
  return doc;
}

/** Writes the other kind beside the file (asking before overwriting) and opens it. */
export async function convertFile(server: ServerManager, arg: unknown, from: '.ab' | '.agentblocks'): Promise<void> {
  const doc = await source(arg, from);
  if (!doc) return;
  const to = from === '.ab' ? '.agentblocks' : '.ab';
  const out = doc.uri.fsPath.slice(0, -from.length) + to;
  const outUri = vscode.Uri.file(out);
  try {
    await vscode.workspace.fs.stat(outUri);
    const pick = await vscode.window.showWarningMessage(`${path.basename(out)} exists. Replace it?`, { modal: true }, 'Replace');
    if (pick !== 'Replace') return;
  } catch {
    /* does not exist */
  }
  try {
    const text = await run(binary(server), ['convert', doc.uri.fsPath, '-o', out]);
    if (text.trim()) void vscode.window.showInformationMessage(`AgentBlocks: ${text.trim()}`);
    await vscode.window.showTextDocument(outUri, { viewColumn: vscode.ViewColumn.Beside });
  } catch (e) {
    void vscode.window.showErrorMessage(`AgentBlocks: conversion failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** "Open as Text": an `.agentblocks` file's `.ab` text in a new untitled editor. */
export async function openAsText(server: ServerManager, arg: unknown): Promise<void> {
  const doc = await source(arg, '.agentblocks');
  if (!doc) return;
  try {
    const text = await run(binary(server), ['convert', doc.uri.fsPath, '--to', 'dsl']);
    // Untitled: saving asks where, so the JSON file is never overwritten by accident.
    const opened = await vscode.workspace.openTextDocument({ language: 'agentblocks', content: text });
    await vscode.window.showTextDocument(opened, { viewColumn: vscode.ViewColumn.Beside });
  } catch (e) {
    void vscode.window.showErrorMessage(`AgentBlocks: could not open as text: ${e instanceof Error ? e.message : String(e)}`);
  }
}
