import { ConfigError } from './config.js';
import { StorageOpenError } from './db/open.js';
import { main } from './main.js';

// The only place that exits the process: everything else returns or throws.
const stopSignal = new Promise<string>((resolve) => {
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
});

main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stopSignal,
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      if (err.message) process.stderr.write(`dozhim-reporter: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    // A database that cannot be written (full or read-only disk, no permission) is the operator's to
    // fix: one line that says so, not a stack trace.
    if (err instanceof StorageOpenError) {
      process.stderr.write(`dozhim-reporter: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`dozhim-reporter: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
