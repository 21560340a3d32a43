/** Builds small JUnit XML documents for tests (the reporter's input), escaping like a real producer. */
export interface Case {
  classname: string;
  name: string;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  message?: string;
  time?: number;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(cases: readonly Case[], suite = 'suite'): string {
  const body = cases
    .map((c) => {
      const open = `<testcase classname="${esc(c.classname)}" name="${esc(c.name)}" time="${c.time ?? 0.01}"`;
      const msg = esc(c.message ?? `${c.name} ${c.status}`);
      const inner: Record<Case['status'], string> = {
        passed: '',
        skipped: `<skipped message="${msg}"/>`,
        failed: `<failure message="${msg}" type="AssertionError">stack of ${esc(c.name)}</failure>`,
        error: `<error message="${msg}" type="Error">stack of ${esc(c.name)}</error>`,
      };
      return c.status === 'passed' ? `${open}/>` : `${open}>${inner[c.status]}</testcase>`;
    })
    .join('\n    ');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${esc(suite)}" tests="${cases.length}">\n    ${body}\n  </testsuite>\n</testsuites>\n`;
}

/** `count` cases `C<i % 10>::test_<i>`, failing where `failing(i)` says. */
export function manyCases(
  count: number,
  failing: (i: number) => boolean = () => false,
  prefix = 'test',
): Case[] {
  return Array.from({ length: count }, (_, i) => ({
    classname: `pkg.C${i % 10}`,
    name: `${prefix}_${String(i).padStart(6, '0')}`,
    status: failing(i) ? 'failed' : 'passed',
  }));
}
