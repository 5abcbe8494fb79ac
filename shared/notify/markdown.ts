/**
 * Card text is data, not markup. Teams renders TextBlock and FactSet text as a subset of
 * Markdown (bold, italics, lists, links) and turns bare URLs into links, so a value such as
 * `[Approve](https://evil.example)` or `**urgent**` would otherwise become a live link or
 * formatting chosen by whoever wrote the statement, purpose or name.
 */

// Every ASCII punctuation character CommonMark lets a backslash escape that Teams' subset or
// its autolinker gives a meaning to: emphasis, code, links, images, headings, lists, tables,
// HTML and entities, and the ':' and '.' an autolinker needs to see a URL.
const MARKDOWN_SIGNIFICANT = /[\\`*_~[\](){}#+\-.!<>|:&=]/g;

// Characters that reorder or hide text (Trojan Source bidi controls, zero-width and tag
// characters, letters that print as blanks) and controls other than tab and newline: shown
// as a visible code instead, so the statement an approver reads is the one that runs.
const INVISIBLE =
  /(?![\t\n])(?:[\p{Cc}\p{Cf}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800]|\u034F|\u17B4|\u17B5)/gu;

function showInvisible(text: string): string {
  return text.replace(
    INVISIBLE,
    (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

/** Escapes one value for a TextBlock or FactSet; line breaks become Markdown line breaks. */
export function escapeMarkdown(value: string): string {
  return showInvisible(value.replace(/\r\n?/g, '\n'))
    .replace(MARKDOWN_SIGNIFICANT, (c) => `\\${c}`)
    .replace(/\n/g, '\n\n');
}
