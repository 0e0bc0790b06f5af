/** Replaces `owner`'s generated section of `file` with `text`, keeping everything around it. */
export function writeGeneratedSection(file: string, owner: string, text: string): void;
