export * from './identity.js';
export * from './junit-reader.js';
export * from './junit-writer.js';
export * from './model.js';
export * from './policy.js';
export * from './state.js';
