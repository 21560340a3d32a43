import { main } from './cli/program.js';
import { processDeps } from './deps.js';

// The only place that exits: commands return codes, errors are mapped in exit-codes.ts.
const code = await main(process.argv.slice(2), processDeps());
process.exit(code);
