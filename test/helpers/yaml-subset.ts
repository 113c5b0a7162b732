/**
 * A parser for the block-style subset of YAML that the example files in docs/ are written in, so
 * that the tests can check their structure without a YAML dependency: block mappings and
 * sequences, `---` documents, plain/quoted scalars, flow sequences of scalars, `{}`/`[]`, and
 * literal block scalars (`|`, `|-`). Anything outside the subset (tabs, anchors, aliases, tags,
 * flow mappings, folded scalars, multi-line plain scalars, `key: a: b`, duplicate keys, stray
 * indentation) is an error rather than a guess, so an example that parses here is plain YAML.
 * Scalars resolve as in YAML 1.2's core schema (`on` stays a string).
 */

export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

export class YamlSubsetError extends Error {}

function fail(line: Line | undefined, why: string): never {
  throw new YamlSubsetError(line ? `line ${line.no}: ${why}: ${line.text}` : why);
}

/** The text before a ` #` comment outside quotes. */
function stripComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[,]/.test(s[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s.trimEnd();
}

function resolvePlain(s: string, line: Line): Yaml {
  if (/^[&*!%@`|>{}[\],?]/.test(s) || /^[-:](\s|$)/.test(s)) fail(line, `'${s}' starts with a YAML indicator`);
  if (/:(\s|$)/.test(s)) fail(line, `'${s}' contains ': ' (quote it)`);
  if (s === 'null' || s === '~') return null;
  if (s === 'true' || s === 'false') return s === 'true';
  if (/^[-+]?\d+$/.test(s)) return Number(s);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  return s;
}

function parseQuoted(s: string, line: Line): { value: string; rest: string } {
  if (s[0] === "'") {
    let out = '';
    for (let i = 1; i < s.length; i++) {
      if (s[i] === "'") {
        if (s[i + 1] === "'") {
          out += "'";
          i++;
        } else return { value: out, rest: s.slice(i + 1) };
      } else out += s[i];
    }
    fail(line, 'unterminated single-quoted scalar');
  }
  const escapes: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/' };
  let out = '';
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') {
      const e = escapes[s[i + 1]];
      if (e === undefined) fail(line, `unsupported escape \\${s[i + 1]}`);
      out += e;
      i++;
    } else if (s[i] === '"') return { value: out, rest: s.slice(i + 1) };
    else out += s[i];
  }
  fail(line, 'unterminated double-quoted scalar');
}

function parseScalar(raw: string, line: Line): Yaml {
  const s = stripComment(raw).trim();
  if (s === '') return null;
  if (s[0] === '"' || s[0] === "'") {
    const { value, rest } = parseQuoted(s, line);
    if (rest.trim() !== '') fail(line, 'text after a quoted scalar');
    return value;
  }
  if (s === '{}') return {};
  if (s[0] === '[') {
    if (!s.endsWith(']')) fail(line, 'a flow sequence must end on its line');
    const body = s.slice(1, -1).trim();
    if (body === '') return [];
    return body.split(',').map((item) => {
      const t = item.trim();
      if (t === '' || /^[[{]/.test(t)) fail(line, 'only scalars inside a flow sequence');
      return parseScalar(t, line);
    });
  }
  return resolvePlain(s, line);
}

/** `key: rest` of a mapping line, or undefined when the line is not one. */
function splitKey(text: string, line: Line): { key: string; rest: string } | undefined {
  if (text[0] === '"' || text[0] === "'") {
    const { value, rest } = parseQuoted(text, line);
    const m = /^:(\s|$)/.exec(rest);
    return m ? { key: value, rest: rest.slice(1) } : undefined;
  }
  const m = /^([^\s#'"][^:#]*?):(\s|$)/.exec(text);
  if (!m) return undefined;
  if (/^[&*!%@`|>{}[\],?-]/.test(m[1]) && !/^-\S/.test(m[1])) fail(line, `key '${m[1]}' starts with a YAML indicator`);
  return { key: m[1].trimEnd(), rest: text.slice(m[0].length - m[2].length) };
}

class Parser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  /** The next line with structure: blank and comment lines are skipped (outside block scalars). */
  private peek(): Line | undefined {
    while (this.i < this.lines.length && (this.lines[this.i].text === '' || this.lines[this.i].text.startsWith('#'))) this.i++;
    return this.lines[this.i];
  }

  document(): Yaml {
    const first = this.peek();
    if (!first) return null;
    if (first.indent !== 0) fail(first, 'a document starts at column 0');
    const value = this.node(0);
    const extra = this.peek();
    if (extra) fail(extra, 'unexpected indentation');
    return value;
  }

  /** The node whose first line is the next line, at exactly `indent`. */
  private node(indent: number): Yaml {
    const line = this.peek()!;
    if (line.indent !== indent) fail(line, `expected indentation ${indent}`);
    if (/^-(\s|$)/.test(line.text)) return this.sequence(indent);
    if (splitKey(line.text, line)) return this.mapping(indent);
    fail(line, 'a scalar on its own line (multi-line plain scalars are outside the subset)');
  }

  /** The value after `key:` or `-`: inline, a block scalar, or a nested block below. */
  private value(rest: string, line: Line, indent: number, allowSameIndentSequence: boolean): Yaml {
    const inline = stripComment(rest).trim();
    if (inline === '|' || inline === '|-') return this.blockScalar(indent, inline === '|-');
    if (/^[|>]/.test(inline)) fail(line, `block scalar header '${inline}' is outside the subset`);
    if (inline !== '') return parseScalar(rest, line);
    const next = this.peek();
    if (next && next.indent > indent) return this.node(next.indent);
    if (next && allowSameIndentSequence && next.indent === indent && /^-(\s|$)/.test(next.text)) return this.sequence(indent);
    return null;
  }

  private mapping(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {};
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (/^-(\s|$)/.test(line.text)) break;
      const kv = splitKey(line.text, line);
      if (!kv) fail(line, 'expected key: value');
      if (Object.hasOwn(out, kv.key)) fail(line, `duplicate key '${kv.key}'`);
      this.i++;
      out[kv.key] = this.value(kv.rest, line, indent, true);
    }
    const next = this.peek();
    if (next && next.indent > indent) fail(next, 'unexpected indentation');
    return out;
  }

  private sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    for (let line = this.peek(); line && line.indent === indent && /^-(\s|$)/.test(line.text); line = this.peek()) {
      const rest = line.text.slice(1);
      const body = rest.trimStart();
      const column = indent + 1 + (rest.length - body.length);
      if (body !== '' && !body.startsWith('#') && splitKey(body, line)) {
        // `- key: value`: a mapping whose first line is this one, at the column of `key`.
        this.lines[this.i] = { no: line.no, indent: column, text: body };
        out.push(this.mapping(column));
      } else {
        if (/^-(\s|$)/.test(body)) fail(line, 'nested "- -" sequences are outside the subset');
        this.i++;
        out.push(this.value(body, line, indent, false));
      }
    }
    const next = this.peek();
    if (next && next.indent > indent) fail(next, 'unexpected indentation');
    return out;
  }

  /**
   * A literal block scalar: the following lines indented deeper than its key, blank lines
   * included; `#` lines there are content, not comments. Clip chomping (`|`) keeps one final
   * newline, strip (`|-`) none.
   */
  private blockScalar(indent: number, strip: boolean): string {
    let j = this.i;
    while (j < this.lines.length && this.lines[j].text === '') j++;
    if (j >= this.lines.length || this.lines[j].indent <= indent) return '';
    const contentIndent = this.lines[j].indent;
    const body: string[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.text !== '' && l.indent < contentIndent) break;
      body.push(l.text === '' ? '' : ' '.repeat(l.indent - contentIndent) + l.text);
      this.i++;
    }
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    return body.join('\n') + (strip ? '' : '\n');
  }
}

/** Every document of a YAML file in the subset. */
export function parseYamlSubset(text: string): Yaml[] {
  const docs: Line[][] = [[]];
  text.split('\n').forEach((raw, k) => {
    const no = k + 1;
    const noCr = raw.replace(/\r$/, '');
    const lead = /^[ \t]*/.exec(noCr)![0];
    const text = noCr.slice(lead.length).trimEnd();
    if (lead.includes('\t') && text !== '') fail({ no, indent: 0, text: noCr }, 'tab in indentation');
    if (noCr === '---' || noCr.startsWith('--- ')) {
      if (noCr !== '---') fail({ no, indent: 0, text: noCr }, 'content after ---');
      docs.push([]);
      return;
    }
    docs[docs.length - 1].push({ no, indent: lead.length, text });
  });
  const hasContent = (lines: Line[]) => lines.some((l) => l.text !== '' && !l.text.startsWith('#'));
  // A leading `---` leaves an empty first document; it is no document.
  return docs.filter((lines, k) => k > 0 || hasContent(lines)).map((lines) => new Parser(lines).document());
}
