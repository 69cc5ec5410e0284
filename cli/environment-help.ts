// The environment part of a service command's --help (start, api, worker): every variable
// the schema says that process reads, with its default, as plain terminal text.
import { VARIABLES, type Reader, type VariableName, type VariableSpec } from '../config/variables.js';

/** Markdown to terminal text: no backticks, emphasis or link targets. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/\*\*|`/g, '')
    .replace(/\*([^*]+)\*/g, '$1');
}

/** One line of meaning: the README summary, else the description up to its first sentence or semicolon. */
function meaning(spec: VariableSpec<unknown>): string {
  return plainText(spec.summary ?? spec.description.split(/[.;] /, 1)[0]!);
}

export function environmentHelp(reader: Reader): string {
  const names = (Object.keys(VARIABLES) as VariableName[]).filter((name) => {
    const spec: VariableSpec<unknown> = VARIABLES[name];
    return spec.readBy.includes(reader) && spec.section !== 'testing';
  });
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((name) => {
    const spec: VariableSpec<unknown> = VARIABLES[name];
    return `  ${name.padEnd(width)}  ${meaning(spec)} (default: ${plainText(spec.default)})`;
  });
  return `environment (an invalid value stops start-up, exit 2):\n${lines.join('\n')}\n`;
}
