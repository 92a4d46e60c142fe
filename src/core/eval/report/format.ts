/**
 * Number and Markdown-table formatting shared by the review report's modules. Pure.
 */

/** 4 significant digits, '–' for missing, ∞ for Infinity; exponent form below 1e-3 and from 1e6. */
export function fmtNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

/** A fraction as a percentage with 3 significant digits (`31.3 %`), '–' when missing or not finite. */
export function fmtPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmtNumber(v * 100, 3)} %`;
}

/** A Markdown table cell: backslashes and pipes escaped, line breaks as spaces. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

/** A Markdown table's lines: header, separator, rows. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [tableRow(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(tableRow)];
}
