/** Messages between the preview panel (extension host) and its webview. */
import type { Graph } from '../lsp_ext';
import type { BlockRunState } from './model';

export type ToWebview =
  | { type: 'graph'; graph: Graph; fileName: string }
  | { type: 'run'; status: string | null; label: string; blocks: Record<string, BlockRunState>; now: number }
  | { type: 'message'; text: string; severity: 'info' | 'error' }
  | { type: 'fit' };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; block: string }
  | { type: 'move'; block: string; x: number; y: number }
  | { type: 'runBlock'; block: string }
  | { type: 'runWorkflow' }
  | { type: 'stop' };
