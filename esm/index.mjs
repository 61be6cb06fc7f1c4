// ESM entry: the CommonJS build's exports, re-exported (Node finds its names statically).
export * from '../dist/src/index.js';
