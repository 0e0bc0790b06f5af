// A results file (bench/results/<name>.md) = a section the benchmark generates
// between two markers + notes written by hand around it, which a re-run keeps.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Replaces `owner`'s generated section of `file` with `text`, keeping everything around it. */
export function writeGeneratedSection(file, owner, text) {
  const begin = `<!-- ${owner}: generated section, begin -->`;
  const end = `<!-- ${owner}: generated section, end -->`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const [at, until] = [old.indexOf(begin), old.indexOf(end)];
  const section = `${begin}\n${text}\n${end}`;
  writeFileSync(file, at >= 0 && until > at ? old.slice(0, at) + section + old.slice(until + end.length) : `${old}${section}\n`);
}
