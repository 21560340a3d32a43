import { processDeps } from './deps.js';
import { main } from './program.js';

// The only place that exits: commands return codes, errors are mapped in exit-codes.ts.
const code = await main(process.argv.slice(2), processDeps());
process.exit(code);
