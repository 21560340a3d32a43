import type { TestResult } from '@dozhim/core';

/**
 * Stored text limits (characters). A CI log can be megabytes per test; the reporter keeps the head,
 * which holds the assertion and the top of the stack, and says how much it dropped.
 */
export const LIMITS = {
  message: 8 * 1024,
  details: 64 * 1024,
  stdout: 64 * 1024,
  stderr: 64 * 1024,
} as const;

export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `\n[dozhim: truncated ${text.length - max} of ${text.length} characters]`;
  return text.slice(0, max) + marker;
}

type Texts = Partial<Record<keyof typeof LIMITS, string | undefined>>;

function truncateTexts<T extends Texts>(r: T): T {
  const out = { ...r };
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = out[key];
    if (typeof v === 'string') out[key] = truncateText(v, LIMITS[key]) as T[typeof key];
  }
  return out;
}

/**
 * The result with every long text field, its retry evidence's included, cut to LIMITS (a new object;
 * the input is not changed).
 */
export function truncateResult<T extends TestResult>(r: T): T {
  const out = truncateTexts(r);
  if (out.retries.length > 0) out.retries = out.retries.map(truncateTexts);
  return out;
}
