import { describe, expect, it } from 'vitest';
import { codeBodyLines, dropTokensOnLines } from '../src/semantic';

describe('semantic tokens in code bodies', () => {
  const text = [
    'block p = python {', // 0
    '  in x: String', // 1
    '  code ````', // 2
    '    a = """', // 3
    '    ```', // 4 (shorter fence: content)
    '    """', // 5
    '    ````', // 6
    '  prompt = ```', // 7 (not a code body)
    '    hi', // 8
    '    ```', // 9
    '}', // 10
  ];
  it('finds the lines between the fences of code/template/preview', () => {
    expect([...codeBodyLines(text)]).toEqual([3, 4, 5]);
  });
  it('drops tokens on those lines and re-encodes the rest', () => {
    // absolute tokens: (1,2) (1,5) (3,4) (3,8) (6,4) (8,4)
    const abs = [
      [1, 2],
      [1, 5],
      [3, 4],
      [3, 8],
      [6, 4],
      [8, 4],
    ];
    const data: number[] = [];
    let pl = 0;
    let pc = 0;
    abs.forEach(([l, c], i) => {
      data.push(l! - pl, l === pl ? c! - pc : c!, 1, i, 0);
      pl = l!;
      pc = c!;
    });
    const out = dropTokensOnLines(data, codeBodyLines(text));
    expect(out).toEqual([1, 2, 1, 0, 0, 0, 3, 1, 1, 0, 5, 4, 1, 4, 0, 2, 4, 1, 5, 0]);
  });
});
