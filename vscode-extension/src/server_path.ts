/** Finding the `agentblocks` binary: the setting, then the PATH, then the bundled binary. */
import fs from 'node:fs';
import path from 'node:path';

export type ServerSource = 'setting' | 'path' | 'bundled';

export interface Found {
  path: string;
  source: ServerSource;
}

export interface Lookup {
  /** `agentblocks.server.path` (may start with `~`). */
  setting: string;
  /** The PATH to search. */
  envPath: string;
  /** The extension's folder (holds `server/agentblocks` when bundled). */
  extensionPath: string;
  platform: NodeJS.Platform;
  home: string;
  isExecutable?: (file: string) => boolean;
}

function executable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The binary to start, or an error message naming what was tried. A setting that points
 * nowhere is an error of its own (falling back would hide the typo).
 */
export function findServer(l: Lookup): Found | { error: string } {
  const isExe = l.isExecutable ?? executable;
  const exe = l.platform === 'win32' ? 'agentblocks.exe' : 'agentblocks';
  const setting = l.setting.trim();
  if (setting) {
    const p = setting.startsWith('~') ? path.join(l.home, setting.slice(1)) : setting;
    if (isExe(p)) return { path: p, source: 'setting' };
    return { error: `agentblocks.server.path is set to "${setting}", which is not an executable file.` };
  }
  const sep = l.platform === 'win32' ? ';' : ':';
  for (const dir of l.envPath.split(sep)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    if (isExe(p)) return { path: p, source: 'path' };
  }
  const bundled = path.join(l.extensionPath, 'server', exe);
  if (isExe(bundled)) return { path: bundled, source: 'bundled' };
  return {
    error:
      'The AgentBlocks language server (`agentblocks`) was not found: agentblocks.server.path is not set, ' +
      'it is not on the PATH, and no binary is bundled with the extension.',
  };
}
