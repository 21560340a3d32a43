import { z } from 'zod';
import { FRAMEWORKS } from './adapters/index.js';
import type { FrameworkName } from './adapters/types.js';

/**
 * The `dozhim.config.json` schema. Loaded only when a config file exists: zod costs ~130 ms of
 * startup, which every attempt-less `dozhim run` would otherwise pay.
 * The token and the run id are per-run secrets/identities: flags and environment only.
 */

const count = (min: number) => z.number().int().min(min);

export const ConfigFileSchema = z.strictObject({
  $schema: z.string().optional(),
  framework: z.enum(FRAMEWORKS as [FrameworkName, ...FrameworkName[]]).optional(),
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
  junit: z.string().min(1).optional(),
  maxRuns: count(1).optional(),
  maxFailed: z
    .union([count(0), z.string().regex(/^\d+(\.\d+)?%?$/, 'a number or a percent like 10%')])
    .optional(),
  threads: count(1).optional(),
  threadsSchedule: z
    .union([z.literal('halve'), z.string().regex(/^\d+(,\d+)*$/), z.array(count(1)).min(1)])
    .optional(),
  minThreads: count(1).optional(),
  stopOnNoProgress: z.boolean().optional(),
  retryOn: z.array(z.string()).optional(),
  quarantine: z.string().min(1).optional(),
  failOnFlaky: z.boolean().optional(),
  healthCheck: z.string().min(1).optional(),
  healthTimeout: z.number().positive().optional(),
  beforeRerun: z.string().min(1).optional(),
  reporter: z.url({ protocol: /^https?$/ }).optional(),
  shard: z.string().min(1).optional(),
  report: z.string().min(1).optional(),
  summaryJson: z.string().min(1).optional(),
  stateDir: z.string().min(1).optional(),
  attemptTimeout: z.number().positive().optional(),
  junitRepeats: z.enum(['retries', 'executions']).optional(),
});

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** One line per problem: `<file> <key>: <message>`. */
export function parseConfigJson(
  json: unknown,
  source: string,
): { ok: true; value: ConfigFile } | { ok: false; message: string } {
  const parsed = ConfigFileSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const message = parsed.error.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      const keys = i.code === 'unrecognized_keys' ? ` ${i.keys.join(', ')}` : '';
      return `${source}${path ? ` ${path}` : ''}:${keys} ${i.message}`;
    })
    .join('\n');
  return { ok: false, message };
}
