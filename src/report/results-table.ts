/**
 * HTML tables of the report: per-benchmark summary (one line per run and per peer tool) and per-instance answers.
 */
import { escapeHtml, fmt } from './html-escape.js';
import { instanceKey, type InstanceResult, type Status } from './read-results.js';
import { tally, type Answer, type BenchmarkData, type Tally } from './tally.js';

/** Our answers per run, keyed by instance (first row wins when a file repeats an instance). */
export function runAnswers(b: BenchmarkData): Map<string, InstanceResult>[] {
  return b.runs.map((r) => {
    const m = new Map<string, InstanceResult>();
    for (const row of r.rows) {
      const key = instanceKey(row.onnx, row.vnnlib);
      if (!m.has(key)) m.set(key, row);
    }
    return m;
  });
}

/** Peer answers of one tool on the instances peers.csv has (ours that it lacks are left out). */
export function peerToolAnswers(b: BenchmarkData, tool: string): Answer[] {
  return [...(b.peerAnswers.get(tool)?.values() ?? [])];
}

function summaryRow(name: string, kind: string, t: Tally): string {
  const wrongCls = t.wrong > 0 ? ' class="bad"' : '';
  const solved = t.unchecked > 0 ? `${t.solved} <span class="note">(${t.unchecked} unchecked)</span>` : String(t.solved);
  return (
    `<tr class="${kind === 'ours' ? 'ours' : 'peer'}"><th scope="row">${escapeHtml(name)}</th><td class="kind">${kind === 'ours' ? 'ours' : 'peer'}</td>` +
    `<td>${t.instances}</td><td>${solved}</td><td>${t.sat}</td><td>${t.unsat}</td><td${wrongCls}>${t.wrong}</td>` +
    `<td>${t.unsolved}</td><td>${t.errors}</td><td>${fmt(t.totalSeconds, 1)}</td><td>${fmt(t.medianSolvedSeconds)}</td>` +
    `<td class="score">${t.score}</td></tr>`
  );
}

export function summaryTable(b: BenchmarkData): string {
  const head =
    '<thead><tr><th scope="col">run / tool</th><th scope="col">kind</th><th scope="col">instances</th><th scope="col">solved</th>' +
    '<th scope="col">sat</th><th scope="col">unsat</th><th scope="col">wrong</th><th scope="col">timeout / unknown</th>' +
    '<th scope="col">errors</th><th scope="col">total time (s)</th><th scope="col">median solved (s)</th><th scope="col">score</th></tr></thead>';
  const rows = b.runs.map((r) => summaryRow(r.label, 'ours', tally(r.rows)));
  for (const tool of b.peers?.tools ?? []) rows.push(summaryRow(tool, 'peer', tally(peerToolAnswers(b, tool))));
  return `<table class="summary">${head}<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

const STATUS_TEXT: Record<Status, string> = {
  correct: 'correct',
  wrong: 'WRONG',
  unchecked: 'no ground truth',
  unsolved: 'not solved',
  error: 'error',
};

function answerCell(a: Answer | undefined): string {
  if (!a) return '<td class="st-missing">\u2013</td>';
  const mark = a.status === 'wrong' ? '<b>WRONG</b> ' : '';
  return `<td class="st-${a.status}" title="${escapeHtml(STATUS_TEXT[a.status])}">${mark}${escapeHtml(a.result)} <span class="t">${fmt(a.seconds)}</span></td>`;
}

export function instanceTable(b: BenchmarkData): string {
  const ours = runAnswers(b);
  const tools = b.peers?.tools ?? [];
  const head =
    '<thead><tr><th scope="col">#</th><th scope="col">onnx</th><th scope="col">vnnlib</th><th scope="col">expected</th>' +
    b.runs.map((r) => `<th scope="col" class="ours">${escapeHtml(r.label)}</th>`).join('') +
    tools.map((t) => `<th scope="col" class="peer">${escapeHtml(t)}</th>`).join('') +
    '</tr></thead>';
  const rows = b.instances.map((inst, i) => {
    const answers = ours.map((m) => m.get(inst.key));
    const wrong = answers.some((a) => a?.status === 'wrong');
    return (
      `<tr${wrong ? ' class="wrong"' : ''}><td>${i + 1}</td><td class="path">${escapeHtml(inst.onnx)}</td><td class="path">${escapeHtml(inst.vnnlib)}</td>` +
      `<td>${escapeHtml(inst.expected)}</td>` +
      answers.map(answerCell).join('') +
      tools.map((t) => answerCell(b.peerAnswers.get(t)?.get(inst.key))).join('') +
      '</tr>'
    );
  });
  return `<table class="instances">${head}<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}
