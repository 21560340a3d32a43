import { createRequire } from 'node:module';

// fast-xml-parser's ESM entry loads dozens of modules (~45 ms); its CommonJS build is one bundled file
// (~8 ms). `dozhim` starts once per CI step and imports core, so the start-up cost matters: load the bundle.
const require = createRequire(import.meta.url);
const fxp = require('fast-xml-parser') as typeof import('fast-xml-parser');

export const XMLParser = fxp.XMLParser;
export const XMLValidator = fxp.XMLValidator;
