/**
 * Semantic tokens refine the TextMate colours, except inside code bodies: there the grammar
 * embeds Python, JavaScript, shell, SQL or Rust, and a server token painting the whole body as
 * one string would hide that. This drops the server's tokens on the lines of `code`,
 * `template` and `preview` bodies (between their fences).
 */

/** The 0-based lines strictly inside code bodies. */
export function codeBodyLines(lines: readonly string[]): Set<number> {
  const inside = new Set<number>();
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (fence === undefined) {
      const m = /^\s*(?:code|template|preview)\s*(`{3,})\s*(?:\/\/.*)?$/.exec(line);
      if (m) fence = m[1];
      continue;
    }
    const close = /^\s*(`{3,})\s*(?:\/\/.*)?$/.exec(line);
    if (close && close[1] === fence) {
      fence = undefined;
      continue;
    }
    inside.add(i);
  }
  return inside;
}

/** LSP-encoded tokens (5 numbers each, lines relative) without those on the given lines. */
export function dropTokensOnLines(data: ArrayLike<number>, drop: Set<number>): number[] {
  const out: number[] = [];
  let line = 0;
  let char = 0;
  let lastLine = 0;
  let lastChar = 0;
  for (let i = 0; i + 4 < data.length; i += 5) {
    const dl = data[i]!;
    line += dl;
    char = dl === 0 ? char + data[i + 1]! : data[i + 1]!;
    if (drop.has(line)) continue;
    const nl = line - lastLine;
    out.push(nl, nl === 0 ? char - lastChar : char, data[i + 2]!, data[i + 3]!, data[i + 4]!);
    lastLine = line;
    lastChar = char;
  }
  return out;
}
