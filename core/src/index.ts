export * from './identity.js';
export * from './junit-reader.js';
export * from './junit-writer.js';
export * from './model.js';
export * from './policy.js';
export * from './state.js';
// The one truncation rule (head + tail around a marker), for the reporter's stored text limits too.
export { truncateMiddle } from './xml-text.js';
