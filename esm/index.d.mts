// Types of the ESM entry: those of the CommonJS build it re-exports.
export * from '../dist/src/index.js';
