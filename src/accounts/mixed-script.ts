// Scripts checked by name; a letter of any other script counts as one script of its own ("other").
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Nko',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Canadian_Aboriginal',
  'Ogham',
  'Runic',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
  'Yi',
  'Tifinagh',
  'Vai',
  'Coptic',
  'Glagolitic',
] as const;
const MATCHERS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script_Extensions=${script}}`, 'u')] as const);
const ANY_SCRIPT = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;
// UTS #39 §5.1: the writing systems that mix scripts by nature count as one
const WRITING_SYSTEMS: Record<string, string[]> = {
  Han: ['Jpan', 'Kore', 'Hanb'],
  Hiragana: ['Jpan'],
  Katakana: ['Jpan'],
  Hangul: ['Kore'],
  Bopomofo: ['Hanb'],
};

/**
 * True when `text` mixes scripts in a way UTS #39's "highly restrictive" level refuses: one script (plus
 * Common and Inherited characters such as digits and marks), or Latin with Japanese, Chinese or Korean.
 * "аdmin" (Cyrillic а among Latin letters) is mixed; "admin", "адмін" and "山田taro" are not. The script
 * data is the JavaScript engine's own Unicode tables (\p{Script_Extensions}), updated with Node.
 */
export function mixesScripts(text: string): boolean {
  let all: Set<string> | undefined;
  let withoutLatin: Set<string> | undefined;
  for (const char of text) {
    if (ANY_SCRIPT.test(char)) continue;
    const scripts = new Set<string>();
    for (const [script, matcher] of MATCHERS) {
      if (!matcher.test(char)) continue;
      scripts.add(script);
      for (const system of WRITING_SYSTEMS[script] ?? []) scripts.add(system);
    }
    if (scripts.size === 0) scripts.add('other');
    all = intersect(all, scripts);
    if (!scripts.has('Latin')) withoutLatin = intersect(withoutLatin, scripts);
  }
  if (!all || all.size > 0) return false;
  // Latin beside one CJK writing system is allowed; anything else that resolved to no common script is not
  return !(withoutLatin && ['Jpan', 'Kore', 'Hanb'].some((system) => withoutLatin.has(system)));
}

function intersect(current: Set<string> | undefined, next: Set<string>): Set<string> {
  return current ? new Set([...current].filter((script) => next.has(script))) : next;
}
