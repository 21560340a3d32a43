import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_ROWS,
  CONFIG_TABLE,
  type ConfigError,
  type ConfigKey,
  configHelp,
  loadConfig,
} from '../../src/config.js';

// The settings that are secrets: environment only, never a flag (a flag shows in `ps`).
const ENV_ONLY: readonly ConfigKey[] = ['token', 'readToken'];

// Two distinct valid texts per setting and what they parse to: [flag text, flag value, env text, env value].
// A new row needs a line here, so its flag, its variable and their precedence are tested.
const SAMPLES: Record<ConfigKey, readonly [string, unknown, string, unknown]> = {
  port: ['0', 0, '9000', 9000],
  host: ['0.0.0.0', '0.0.0.0', '::1', '::1'],
  db: ['/a.sqlite', '/a.sqlite', '/b.sqlite', '/b.sqlite'],
  maxBodyBytes: ['1mb', 1024 ** 2, '2048', 2048],
  maxBatch: ['5', 5, '6', 6],
  maxQueuedUploads: ['7', 7, '8', 8],
  requestTimeoutMs: ['5000', 5000, '6000', 6000],
  headersTimeoutMs: ['700', 700, '800', 800],
  drainTimeoutMs: ['2000', 2000, '3000', 3000],
  maxUploadsPerClient: ['3', 3, '4', 4],
  maxTestcases: ['10', 10, '11', 11],
  maxFieldBytes: ['300', 300, '400', 400],
  maxProperties: ['0', 0, '1', 1],
  maxRunResults: ['10', 10, '3000000', 3_000_000],
  allowedHosts: ['A.example, b', ['a.example', 'b'], '*', ['*']],
  retentionDays: ['0', 0, '30', 30],
  retentionIntervalMs: ['100', 100, '60000', 60000],
  logLevel: ['debug', 'debug', 'silent', 'silent'],
  token: ['', undefined, 'write-secret-1', 'write-secret-1'],
  readToken: ['', undefined, 'read-secret-1', 'read-secret-1'],
};
// readToken needs token (the refinement): give it one where a sample sets readToken.
const WITH_TOKEN = { DOZHIM_TOKEN: 'write-secret-1' };

function help(): string {
  let out = '';
  try {
    loadConfig(['--help'], {}, (s) => {
      out += s;
    });
  } catch (e) {
    expect((e as ConfigError).exitCode).toBe(0);
  }
  // Commander wraps long lines: compare words, not line breaks.
  return out.replace(/\s+/g, ' ');
}

describe('the reporter configuration table', () => {
  it('every key has an environment variable, a help line, and a flag unless it is a secret', () => {
    expect(CONFIG_ROWS.length).toBeGreaterThan(0);
    for (const [key, row] of CONFIG_ROWS) {
      expect(row.env, key).toMatch(/^DOZHIM_[A-Z0-9_]+$/);
      expect(row.help.trim().length, key).toBeGreaterThan(5);
      if (ENV_ONLY.includes(key)) expect(row.flag, key).toBeUndefined();
      else expect(row.flag, key).toMatch(/^--[a-z][a-z-]* <[a-z]+>$/);
      // Help must say what happens when unset.
      expect(row.default !== undefined || row.defaultText !== undefined, key).toBe(true);
    }
    const envs = CONFIG_ROWS.map(([, r]) => r.env);
    const flags = CONFIG_ROWS.flatMap(([, r]) => (r.flag ? [r.flag.split(' ')[0]] : []));
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(flags).size).toBe(flags.length);
  });

  it('--help shows every flag with its line, and every environment-only variable', () => {
    const text = help();
    for (const [key, row] of CONFIG_ROWS) {
      if (row.flag) {
        expect(text, key).toContain(row.flag);
        expect(text, key).toContain(configHelp(row).replace(/\s+/g, ' '));
      } else {
        expect(text, key).toMatch(new RegExp(`Environment only.*${row.env}`));
      }
    }
    // The old hand-written line, so a template change that drops the env or the default shows up.
    expect(text).toContain('port to listen on; 0 = ephemeral (env DOZHIM_PORT, default 8080)');
    expect(text).toContain('largest request body, also after gunzip (env DOZHIM_MAX_BODY, default 50mb)');
  });

  it("the default help shows is the value used (a defaultText like '50mb' must parse to the default)", () => {
    const defaults = loadConfig([], {}) as Record<string, unknown>;
    for (const [key, row] of CONFIG_ROWS) {
      expect(defaults[key], key).toEqual(row.default);
      if (row.default === undefined) continue;
      expect(row.schema.parse(row.defaultText ?? String(row.default)), key).toEqual(row.default);
    }
    // The fooling case: a wrong defaultText would pass a check that only looks at String(default).
    expect(CONFIG_TABLE.maxBodyBytes.schema.parse('50kb')).not.toEqual(CONFIG_TABLE.maxBodyBytes.default);
  });

  it('each setting reads its flag and its variable, and the flag wins', () => {
    for (const [key, row] of CONFIG_ROWS) {
      const sample = SAMPLES[key];
      expect(sample, `add a sample for ${key}`).toBeDefined();
      const [flagText, flagValue, envText, envValue] = sample;
      const base = key === 'readToken' ? WITH_TOKEN : {};
      const fromEnv = loadConfig([], { ...base, [row.env]: envText }) as Record<string, unknown>;
      expect(fromEnv[key], `${key} from ${row.env}`).toEqual(envValue);
      if (!row.flag) {
        // A secret on the command line is refused by commander, not silently read.
        expect(() => loadConfig([`--${key}`, 'x'], {})).toThrow(/unknown option/);
        continue;
      }
      const both = loadConfig([row.flag.split(' ')[0]!, flagText], { [row.env]: envText }) as Record<
        string,
        unknown
      >;
      expect(both[key], `${key}: flag over ${row.env}`).toEqual(flagValue);
      expect(flagValue, key).not.toEqual(envValue);
    }
  });

  it('a bad value names the key and its variable, from a flag or the environment', () => {
    expect(() => loadConfig(['--max-batch', '0'], {})).toThrow(/maxBatch \(DOZHIM_MAX_BATCH\)/);
    expect(() => loadConfig([], { DOZHIM_LOG_LEVEL: 'loud' })).toThrow(/logLevel \(DOZHIM_LOG_LEVEL\)/);
    expect(() => loadConfig([], { DOZHIM_MAX_BODY: '1000' })).toThrow(/max body must be at least 1kb/);
    // An empty variable is unset, not an empty value.
    expect(loadConfig([], { DOZHIM_HOST: '' }).host).toBe('127.0.0.1');
    // The refinement: a read token alone is refused, with both tokens it is accepted.
    expect(() => loadConfig([], { DOZHIM_READ_TOKEN: 'read-secret-1' })).toThrow(
      /DOZHIM_READ_TOKEN needs DOZHIM_TOKEN/,
    );
    expect(loadConfig([], { ...WITH_TOKEN, DOZHIM_READ_TOKEN: 'read-secret-1' }).readToken).toBe(
      'read-secret-1',
    );
  });

  it("reporter/README.md's configuration table lists every flag and variable, with the table's defaults", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [key, row] of CONFIG_ROWS) {
      expect(readme, key).toContain(`\`${row.env}\``);
      if (!row.flag) continue;
      const flag = `\`${row.flag.split(' ')[0]}\``;
      const line = readme.split('\n').find((l) => l.startsWith(`| ${flag}`));
      expect(line, `${key}: no README table row for ${flag}`).toBeDefined();
      // The default the README states is the table's (a value default; prose ones are checked by --help).
      if (row.default !== undefined)
        expect(line, key).toContain(`\`${row.defaultText ?? String(row.default)}\``);
    }
  });
});
