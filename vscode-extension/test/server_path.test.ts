import { describe, expect, it } from 'vitest';
import { findServer } from '../src/server_path';

const base = { envPath: '/a:/b', extensionPath: '/ext', platform: 'linux' as const, home: '/home/u' };

describe('findServer', () => {
  it('prefers the setting, expanding ~', () => {
    const r = findServer({ ...base, setting: '~/bin/agentblocks', isExecutable: (f) => f === '/home/u/bin/agentblocks' || f === '/a/agentblocks' });
    expect(r).toEqual({ path: '/home/u/bin/agentblocks', source: 'setting' });
  });
  it('reports a setting that points nowhere instead of falling back', () => {
    const r = findServer({ ...base, setting: '/nope', isExecutable: (f) => f === '/a/agentblocks' });
    expect('error' in r && r.error).toContain('/nope');
  });
  it('then searches the PATH in order', () => {
    const r = findServer({ ...base, setting: '', isExecutable: (f) => f === '/b/agentblocks' || f === '/ext/server/agentblocks' });
    expect(r).toEqual({ path: '/b/agentblocks', source: 'path' });
  });
  it('then uses the bundled binary', () => {
    const r = findServer({ ...base, setting: ' ', isExecutable: (f) => f === '/ext/server/agentblocks' });
    expect(r).toEqual({ path: '/ext/server/agentblocks', source: 'bundled' });
  });
  it('says what was tried when nothing is found', () => {
    const r = findServer({ ...base, setting: '', isExecutable: () => false });
    expect('error' in r && r.error).toMatch(/not found.*PATH.*bundled/);
  });
});
