export { type Config, ConfigError, loadConfig, parseSize } from './config.js';
export { MIGRATIONS, migrate } from './db/migrations.js';
export { openDatabase } from './db/open.js';
export * from './db/repository.js';
export { type AppDeps, type AppLimits, createApp } from './http/app.js';
export { requireAccess, type Tokens, tokenMatches } from './http/auth.js';
export { ApiError } from './http/errors.js';
export { createMetrics, type Metrics } from './http/metrics.js';
export { openApiDocument } from './http/openapi.js';
export { main } from './main.js';
export { ingestJUnit, inThreadParser, type JUnitParser, parseUpload } from './parse/junit-parser.js';
export { WorkerParser } from './parse/worker-parser.js';
export * from './snapshot.js';
export {
  checkResultCaps,
  DEFAULT_RESULT_CAPS,
  LIMITS,
  ResultCapError,
  type ResultCaps,
  truncateResult,
  truncateText,
} from './truncate.js';
