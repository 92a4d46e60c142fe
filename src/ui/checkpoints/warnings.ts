/**
 * The readers' notes (English sentences from core/io and engine/checkpoint/) in the UI language:
 * the ones the studio knows are shown from the dictionary; notes the import preview already shows
 * in its own rows (no discriminator, no loss log) are left out; anything else is shown as written.
 */
import type { Params } from '../../engine/messages';
import type { StringKey } from '../strings';

export type ShownNote = { key: StringKey; params: Params } | { text: string };

interface Rule {
  re: RegExp;
  /** null: the preview shows this already. */
  key: StringKey | null;
  params?: (m: RegExpExecArray) => Params;
}

const RULES: readonly Rule[] = [
  { re: /^no \S+_net_D\.pth: /, key: null },
  { re: /^no loss_log\.txt/, key: null },
  { re: /^no train_opt\.txt: /, key: 'ckpt.warn.noTrainOpt' },
  { re: /^removed the "module\." prefix/, key: 'ckpt.warn.modulePrefix' },
  { re: /^norm syncbatch \(multi-GPU\)/, key: 'ckpt.warn.syncbatch' },
  {
    re: /^ndf is not in the files \(no discriminator\): .* ndf = ngf = (\d+)/,
    key: 'ckpt.warn.ndfFromNgf',
    params: (m) => ({ ngf: m[1] }),
  },
];

export function shownNotes(warnings: readonly string[]): ShownNote[] {
  const out: ShownNote[] = [];
  for (const w of warnings) {
    const rule = RULES.find((r) => r.re.test(w));
    if (!rule) {
      out.push({ text: w });
      continue;
    }
    if (rule.key === null) continue;
    const m = rule.re.exec(w) as RegExpExecArray;
    out.push({ key: rule.key, params: rule.params ? rule.params(m) : {} });
  }
  return out;
}

/** What kind of problem a reader's error message describes, for a translated explanation. */
const ERROR_RULES: readonly { re: RegExp; key: StringKey }[] = [
  { re: /refusing the global|is not accepted in a state_dict/i, key: 'ckpt.err.unsafePickle' },
  { re: /truncated|end-of-central-directory|runs past|is damaged|fails its CRC/i, key: 'ckpt.err.damaged' },
  { re: /overlaps|data_offsets|gap before|header length/i, key: 'ckpt.err.safetensors' },
  {
    re: /key "[^"]+" (has shape|is missing|is int|is float)|does not belong to a network/,
    key: 'ckpt.err.shape',
  },
];

/** A translated explanation of an import error (the English detail names the file), or null. */
export function explainError(detail: string): StringKey | null {
  return ERROR_RULES.find((r) => r.re.test(detail))?.key ?? null;
}
