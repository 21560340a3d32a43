import { describe, expect, it } from 'vitest';
import { loadConfig, parseSize } from '../../src/config.js';
import { tokenMatches } from '../../src/http/auth.js';
import { LIMITS, truncateResult, truncateText } from '../../src/truncate.js';

describe('truncation', () => {
  it('keeps the head and the tail, never exceeds the limit, and says how much was dropped', () => {
    expect(truncateText('short', 10)).toBe('short');
    const out = truncateText('a'.repeat(50) + 'b'.repeat(50), 60);
    expect(out.length).toBeLessThanOrEqual(60);
    expect(out.startsWith('a') && out.endsWith('b')).toBe(true);
    expect(out).toMatch(/characters truncated/);
  });

  it('applies the documented limits per field', () => {
    const long = 'y'.repeat(LIMITS.stdout + 5);
    const t = truncateResult({
      id: 'a::b',
      suite: '',
      classname: 'a',
      name: 'b',
      status: 'failed',
      durationMs: 0,
      properties: {},
      retries: [],
      message: 'm'.repeat(LIMITS.message + 1),
      stdout: long,
      stderr: 'ok',
    });
    // Head and tail kept around the marker; never longer than the field's limit.
    expect(t.stdout!.length).toBeLessThanOrEqual(LIMITS.stdout);
    expect(t.stdout).toMatch(/^y+\n…\[dozhim: \d+ characters truncated\]…\ny+$/);
    expect(t.message!.length).toBeLessThanOrEqual(LIMITS.message);
    expect(t.message).toMatch(/\[dozhim: \d+ characters truncated\]/);
    expect(t.stderr).toBe('ok');
  });
});

describe('config', () => {
  it('parses sizes', () => {
    expect(parseSize('52428800')).toBe(52428800);
    expect(parseSize('50mb')).toBe(50 * 1024 * 1024);
    expect(parseSize('1.5KB')).toBe(1536);
    expect(() => parseSize('lots')).toThrow(/not a size/);
  });

  it('defaults, env, then flags', () => {
    expect(loadConfig([], {})).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      db: './data/dozhim.sqlite',
      maxBodyBytes: 52428800,
    });
    const env = { DOZHIM_PORT: '9000', DOZHIM_DB: '/x.sqlite', DOZHIM_TOKEN: 'abcdefgh12' };
    expect(loadConfig([], env)).toMatchObject({ port: 9000, db: '/x.sqlite', token: 'abcdefgh12' });
    expect(loadConfig(['--port', '0', '--max-body', '1mb'], env)).toMatchObject({
      port: 0,
      maxBodyBytes: 1048576,
    });
    expect(() => loadConfig(['--port', '70000'], {})).toThrow(/port \(DOZHIM_PORT\)/);
  });
});

describe('tokenMatches', () => {
  it('compares whole tokens of any length', () => {
    expect(tokenMatches('secret-token', 'secret-token')).toBe(true);
    expect(tokenMatches('secret-token', 'secret-tokeN')).toBe(false);
    expect(tokenMatches('secret', 'secret-token')).toBe(false);
    expect(tokenMatches('', 'secret-token')).toBe(false);
  });
});
