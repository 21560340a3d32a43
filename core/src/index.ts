export * from './model.js';
export * from './identity.js';
export * from './state.js';
export * from './policy.js';
export * from './junit-reader.js';
export * from './junit-writer.js';
