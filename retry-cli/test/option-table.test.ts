import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigFileSchema, parseConfigJson } from '../src/cli/config-file.js';
import { UsageError } from '../src/cli/exit-codes.js';
import { DEFAULTS, envLayer, helpText, OPTION_ROWS, OPTION_TABLE } from '../src/cli/option-table.js';

/** The option table is the one definition: these check that what is derived from it stays in step. */

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const longName = (flags: string): string => flags.split(/[ ,]/).find((f) => f.startsWith('--'))!;

describe('option table', () => {
  it('derives DEFAULTS from the rows, one value per defaulted row', () => {
    const withDefault = OPTION_ROWS.filter(([, s]) => s.default !== undefined).map(([k]) => k);
    expect(Object.keys(DEFAULTS).sort()).toEqual([...withDefault].sort());
    for (const k of withDefault)
      expect(DEFAULTS[k as keyof typeof DEFAULTS]).toEqual(OPTION_TABLE[k].default);
  });

  it('fills each help default from the row, so help and behaviour cannot disagree', () => {
    for (const [, spec] of OPTION_ROWS) {
      const help = helpText(spec);
      expect(help).not.toMatch(/\{default\}|\{env\}|undefined/);
      if (spec.flag?.help.includes('{default}')) expect(help).toContain(String(spec.default));
      if (spec.flag?.help.includes('{env}')) expect(help).toContain(spec.env);
    }
    expect(helpText(OPTION_TABLE.maxRuns)).toBe('attempts in total, the first included (default 3)');
  });

  it('builds the config schema from the rows: secrets and the run id stay out of the file', () => {
    const keys = Object.keys(ConfigFileSchema.shape).filter((k) => k !== '$schema');
    expect(keys.sort()).toEqual(
      OPTION_ROWS.filter(([, s]) => s.config)
        .map(([k]) => k)
        .sort(),
    );
    // The ConfigFile type omits exactly these: a new row without a config column must be added there.
    const notInFile = OPTION_ROWS.filter(([, s]) => !s.config).map(([k]) => k);
    expect(notInFile.sort()).toEqual(['reporterTimeout', 'runId', 'token']);
    for (const key of notInFile) expect(parseConfigJson({ [key]: 'x' }, 'f').ok).toBe(false);
  });

  it('reads each environment variable of the table, parsed like its flag', () => {
    expect(
      envLayer({
        DOZHIM_REPORTER_URL: 'http://127.0.0.1:1',
        DOZHIM_TOKEN: 't',
        DOZHIM_REPORTER_TIMEOUT: '2.5',
        DOZHIM_STATE_DIR: 's',
      }),
    ).toEqual({ reporter: 'http://127.0.0.1:1', token: 't', reporterTimeout: 2.5, stateDir: 's' });
    expect(envLayer({ DOZHIM_REPORTER_URL: '' })).toEqual({});
    // A bad value is an error naming the variable, never silently dropped.
    expect(() => envLayer({ DOZHIM_REPORTER_TIMEOUT: 'soon' })).toThrow(UsageError);
    expect(() => envLayer({ DOZHIM_REPORTER_TIMEOUT: '-1' })).toThrow(/DOZHIM_REPORTER_TIMEOUT/);
    expect(() => envLayer({ DOZHIM_REPORTER_URL: 'ftp://x' })).toThrow(/DOZHIM_REPORTER_URL/);
  });

  it("matches the README: every flag has a row there, with the table's default", () => {
    const rows = new Map(
      readme
        .split('\n')
        .filter((l) => l.startsWith('| `--'))
        .map((l) => {
          const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
          return [longName(cells[1]!.replaceAll('`', '')), cells[2]!] as const;
        }),
    );
    for (const [, spec] of OPTION_ROWS) {
      if (!spec.flag) continue;
      const name = longName(spec.flag.flags);
      expect(rows.has(name), `README options table lacks ${name}`).toBe(true);
      if (spec.flag.help.includes('{default}')) expect(rows.get(name)).toContain(String(spec.default));
    }
    const keysLine = /^Keys: ([\s\S]*?)\. The token/m
      .exec(readme)![1]!
      .split(/\s+/)
      .map((k) => k.replaceAll('`', ''));
    expect(keysLine.sort()).toEqual(
      OPTION_ROWS.filter(([, s]) => s.config)
        .map(([k]) => k)
        .sort(),
    );
  });
});
