/* The guide's search in the browser: MiniSearch over the offline bundle, with the server's
 * folding (accents, đ, "y" = "i"), stop words and aliases, adjacent word pairs as terms, and a
 * "did you mean" built from the catalogue's own words.
 *
 * MiniSearch ranks (BM25+) and forgives one or two typos and half-typed words; what it does not
 * do is fold "đ", split words typed together ("dangkykethon") or say what it corrected, so that
 * is done here. Loads in the page (window.GuideFinder, with window.MiniSearch) and in Node (for
 * the evaluation test, with the minisearch package). */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory(require("minisearch"));
  else root.GuideFinder = factory(root.MiniSearch);
})(typeof self !== "undefined" ? self : this, function (MiniSearch) {
  "use strict";

  const PAIR = "_";
  const BOOST = { name: 3, aliases: 3, name_en: 1.5, field: 1, extra: 0.5 };
  const EXACT_PHRASE = 1.5;

  function fold(text) {
    return String(text)
      .replace(/[đĐ]/g, "d")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, " ")
      .trim();
  }

  const normalize = (word) => word.replace(/y/g, "i");

  /* Edit distance counting a swap of neighbours as one edit, or null past `limit`. */
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return null;
    let before = [];
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
      const current = [i];
      for (let j = 1; j <= b.length; j += 1) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2] + 1);
        current[j] = best;
      }
      if (Math.min(...current) > limit) return null;
      before = previous;
      previous = current;
    }
    return previous[b.length] <= limit ? previous[b.length] : null;
  }

  function create(bundle) {
    const stop = new Set(bundle.search.stop_words);
    const spellings = bundle.search.spellings;
    const classAliases = bundle.search.online_class_aliases;
    const content = (text) => fold(text).split(" ").filter((w) => w && !stop.has(w)).map(normalize);
    const withPairs = (words) => words.concat(words.slice(1).map((w, i) => words[i] + PAIR + w));

    const df = new Map();
    const phrases = new Map();
    const docs = bundle.procedures.map((p, position) => {
      const doc = {
        id: position,
        code: p.code,
        name: p.name,
        aliases: p.aliases.join(" | "),
        name_en: p.name_en,
        field: [...p.fields, p.field_en || ""].join(" | "),
        extra: [p.result, p.result_en || "", ...(classAliases[p.online_class] || [])].join(" | "),
        fieldKeys: new Set([fold(p.field), ...p.fields.map(fold)]),
      };
      const seen = new Set();
      const own = new Set();
      for (const text of [p.name, ...p.aliases, p.name_en]) own.add(content(text).join(" "));
      for (const text of [doc.name, ...p.aliases, doc.name_en, ...doc.field.split(" | "), ...doc.extra.split(" | ")]) {
        for (const term of withPairs(content(text))) seen.add(term);
      }
      for (const term of seen) df.set(term, (df.get(term) || 0) + 1);
      phrases.set(position, own);
      return doc;
    });
    const words = [...df.keys()].filter((t) => !t.includes(PAIR));
    const joined = new Map([...df.keys()].filter((t) => t.includes(PAIR)).map((t) => [t.replace(PAIR, ""), t]));

    // Each alias counts once (the server does the same): split the alias list into phrases.
    const tokenize = (text) => text.split(" | ").flatMap((part) => withPairs(content(part)));
    const index = new MiniSearch({
      fields: Object.keys(BOOST),
      storeFields: ["code"],
      tokenize,
      processTerm: (term) => term,
    });
    index.addAll(docs);

    function segment(word) {
      if (word.length < 6) return null;
      const best = [[]].concat(new Array(word.length).fill(null));
      for (let end = 1; end <= word.length; end += 1) {
        for (let start = Math.max(0, end - 8); start < end; start += 1) {
          const piece = word.slice(start, end);
          if (best[start] && df.has(piece) && !piece.includes(PAIR)) {
            if (!best[end] || best[start].length + 1 < best[end].length) best[end] = [...best[start], piece];
          }
        }
      }
      const found = best[word.length];
      return found && found.length > 1 ? found : null;
    }

    /* The word to search for instead of `word`, or null when it is found as typed. */
    function correct(word, previous, loose) {
      if (df.has(word) || words.some((w) => w.length > word.length && w.startsWith(word) && word.length >= 2)) return null;
      if (joined.has(word)) return joined.get(word);
      const budget = word.length >= 8 ? 2 : word.length >= (loose ? 3 : 4) ? 1 : 0;
      if (!budget) return undefined;
      let found = [];
      let bestDistance = budget + 1;
      for (const candidate of [...words, ...(word.length >= 6 ? joined.keys() : [])]) {
        const d = distance(word, candidate, budget);
        if (d == null || d === 0 || d > bestDistance) continue;
        if (d < bestDistance) { bestDistance = d; found = []; }
        found.push(candidate);
      }
      if (!found.length) return undefined;
      const weight = (c) => {
        const term = joined.get(c) || c;
        const paired = previous != null && df.has(previous + PAIR + c);
        return (paired ? 1e6 : 0) + (df.get(term) || 0);
      };
      found.sort((a, b) => weight(b) - weight(a));
      return joined.get(found[0]) || found[0];
    }

    const display = (term) => term.split(PAIR).map((w) => spellings[w] || w).join(" ");

    function run(queryWords, field, limit, loose) {
      const split = queryWords.flatMap((w) => (df.has(w) ? [w] : segment(w) || [w]));
      let corrected = split.length !== queryWords.length;
      const searched = [];
      const shown = [];
      let previous = null;
      for (const word of split) {
        const fix = correct(word, previous, loose);
        if (fix) {
          corrected = true;
          searched.push(...fix.split(PAIR));
          shown.push(display(fix));
        } else {
          if (fix === undefined && !loose) {
            const offer = correct(word, previous, true);
            if (offer) { corrected = true; shown.push(display(offer)); } else shown.push(word);
          } else shown.push(display(word));
          if (fix === null || loose) searched.push(word);
        }
        previous = searched[searched.length - 1] || previous;
      }
      if (!searched.length) return { hits: [], didYouMean: null };
      const key = searched.join(" ");
      const hits = index.search(withPairs(searched).join(" "), {
        tokenize: (text) => text.split(" "),
        boost: BOOST,
        combineWith: "OR",
        // A word found as typed is matched exactly (as on the server): "bố" must not also
        // match every word that starts with "bo".
        prefix: (term) => !df.has(term) && term.length >= 2,
        fuzzy: (term) => (df.has(term) ? false : term.length >= 8 ? 2 : term.length >= 4 ? 1 : false),
        weights: { fuzzy: 0.6, prefix: 0.8 },
        boostDocument: (id) => (phrases.get(id).has(key) ? EXACT_PHRASE : 1),
        filter: field ? (r) => docs[r.id].fieldKeys.has(fold(field)) : undefined,
      });
      // As on the server, a procedure that holds more of the meaningful words wins over one
      // that holds a single word many times (MiniSearch adds the words' scores up).
      const unique = [...new Set(searched)];
      for (const hit of hits) {
        const covered = unique.filter((w) => hit.queryTerms.includes(w)).length;
        hit.score *= 0.3 + 0.7 * (covered / unique.length);
      }
      hits.sort((a, b) => b.score - a.score || a.id - b.id);
      return { hits: hits.slice(0, limit).map((h) => bundle.procedures[h.id]), didYouMean: corrected ? shown.join(" ") : null };
    }

    /* Procedures best first, with the corrected query when a word was not found as typed. */
    function search(q, field, limit) {
      const max = limit || 30;
      const text = String(q || "").slice(0, 200);
      const folded = fold(text);
      if (!folded) {
        const all = bundle.procedures.filter((p, i) => !field || docs[i].fieldKeys.has(fold(field)));
        return { results: all, didYouMean: null, suggestionOnly: false };
      }
      const digits = folded.replace(/ /g, "");
      if (/^\d{4,}$/.test(digits)) {
        const codes = (p) => [p.code, ...p.alt_codes].map((c) => fold(c).replace(/ /g, ""));
        const exact = bundle.procedures.filter((p) => codes(p).includes(digits));
        const partial = bundle.procedures.filter((p) => !exact.includes(p) && codes(p).some((c) => c.includes(digits)));
        return { results: exact.concat(partial).slice(0, max), didYouMean: null, suggestionOnly: false };
      }
      const raw = folded.split(" ").slice(0, 24);
      const kept = raw.filter((w) => !stop.has(w));
      const queryWords = (kept.length ? kept : raw).map(normalize);
      const strict = run(queryWords, field, max, false);
      if (strict.hits.length) return { results: strict.hits, didYouMean: strict.didYouMean, suggestionOnly: false };
      const loose = run(queryWords, field, max, true);
      if (loose.hits.length && loose.didYouMean) return { results: loose.hits, didYouMean: loose.didYouMean, suggestionOnly: true };
      return { results: [], didYouMean: null, suggestionOnly: false };
    }

    return { search, fold };
  }

  return { create, fold, distance };
});
