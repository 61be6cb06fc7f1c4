// The package's public entry: one export line per area.
export * from './embed';
export * from './pipeline';
