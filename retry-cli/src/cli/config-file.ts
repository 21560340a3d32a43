import { z } from 'zod';
import { OPTION_ROWS, type OptionLayer } from './option-table.js';

/**
 * The `dozhim.config.json` schema, built from the option table's `config` column. Loaded only when a
 * config file exists: zod costs ~130 ms of startup, which every attempt-less `dozhim run` would
 * otherwise pay. Rows without a `config` column (the token, the run id) are flags/environment only.
 */

export const ConfigFileSchema = z.strictObject({
  $schema: z.string().optional(),
  ...Object.fromEntries(
    OPTION_ROWS.flatMap(([key, spec]) => (spec.config ? [[key, spec.config(z).optional()]] : [])),
  ),
});

/** What the schema accepts: the rows with a `config` column (typed by the option layer). */
export type ConfigFile = { $schema?: string } & Omit<OptionLayer, 'runId' | 'token' | 'reporterTimeout'>;

/** One line per problem: `<file> <key>: <message>`. */
export function parseConfigJson(
  json: unknown,
  source: string,
): { ok: true; value: ConfigFile } | { ok: false; message: string } {
  const parsed = ConfigFileSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data as ConfigFile };
  const message = parsed.error.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      const keys = i.code === 'unrecognized_keys' ? ` ${i.keys.join(', ')}` : '';
      return `${source}${path ? ` ${path}` : ''}:${keys} ${i.message}`;
    })
    .join('\n');
  return { ok: false, message };
}
