// SKELETON — replaced by the CLI issue.
import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
if (process.argv.includes('--version') || process.argv.includes('-V')) console.log(pkg.version);
else console.log('Usage: dozhim run [options] -- <test command...>');
