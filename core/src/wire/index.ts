/**
 * The wire contract between the reporter and its clients (the `dozhim` CLI; the Jenkins and GitLab
 * glue call the CLI): a zod schema for every request body and every response body, and the types
 * inferred from them. The reporter validates requests and types (and tests) its responses with
 * these; the CLI parses every answer with them. Imported as `@dozhim/core/wire` so that only code
 * that talks to a reporter loads zod. Route parameters and query strings stay with the reporter.
 */
export * from './attempts.js';
export * from './ops.js';
export * from './results.js';
export * from './runs.js';
