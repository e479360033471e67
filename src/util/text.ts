// Messages leave the harness as one line: the first non-empty line of a text or an error's message.

export const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** The first line of whatever was thrown. */
export const errorLine = (err: unknown): string => firstLine(String((err as Error)?.message ?? err));
