/** A LIKE pattern (with `ESCAPE '\'`) matching text that contains `text` as typed: its own % and _ match only themselves. */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
