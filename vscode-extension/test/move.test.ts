import { describe, expect, it } from 'vitest';
import { moveEditForHeader } from '../src/preview/move';

const apply = (line: string, x: number, y: number) => {
  const e = moveEditForHeader(line, x, y);
  return e && line.slice(0, e.start) + e.text + line.slice(e.end);
};

describe('moveEditForHeader', () => {
  it('replaces an existing position', () => {
    expect(apply('  block find = find_files "Find" at (100, 100) {', 140.4, -20.6)).toBe('  block find = find_files "Find" at (140, -21) {');
  });
  it('adds a position before the body', () => {
    expect(apply('  block p = python "a { b" {', 5, 6)).toBe('  block p = python "a { b" at (5, 6) {');
    expect(apply('  block p = python{', 5, 6)).toBe('  block p = python at (5, 6) {');
  });
  it('refuses lines that are not block headers', () => {
    expect(moveEditForHeader('  in x: String', 1, 2)).toBeUndefined();
  });
});
