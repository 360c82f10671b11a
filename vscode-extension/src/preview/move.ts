/**
 * The client-side stand-in for `agentblocks/moveBlock` when the server has no such method:
 * change (or add) the `at (x, y)` of a block's header line. One line changes, as the server's
 * edit would.
 */
export interface LineEdit {
  /** Character offsets within the line. */
  start: number;
  end: number;
  text: string;
}

export function formatCoord(n: number): string {
  return String(Math.round(n));
}

/** The edit to the header line, or undefined when the line is not a block header. */
export function moveEditForHeader(line: string, x: number, y: number): LineEdit | undefined {
  if (!/^\s*block\b/.test(line)) return undefined;
  const at = `at (${formatCoord(x)}, ${formatCoord(y)})`;
  const m = /\bat\s*\(\s*[-+0-9.eE]+\s*,\s*[-+0-9.eE]+\s*\)/.exec(line);
  if (m) return { start: m.index, end: m.index + m[0].length, text: at };
  // No position yet: insert before the `{` that opens the body (outside strings).
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && inString) {
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '{' && !inString) {
      const before = line.slice(0, i).replace(/\s+$/, '');
      return { start: before.length, end: i, text: ` ${at} ` };
    }
  }
  return undefined;
}
