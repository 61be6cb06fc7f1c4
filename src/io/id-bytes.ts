// Ids are read as Latin-1, one character per byte, so an id is kept as the bytes of the input end to end.

/** The bytes of text holding ids read by readFasta (each character is one byte). */
export function idBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** An id quoted for a message: its bytes shown as UTF-8 text, as a terminal would show them. */
export function quotedId(id: string): string {
  return `"${idBytes(id).toString('utf8')}"`;
}
