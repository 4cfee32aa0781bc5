/* The guide's wizard and fee rules in the browser, over the offline bundle.
 *
 * The same rules as the server's (kiosk/catalogue/checklist.py, fees.py, present.py): the page
 * runs them locally so that a citizen can go on when the link to the server drops, and a test
 * (tests/unit/test_guide_engine.py) checks that both give the same answer for every procedure
 * and every mix of yes, no, "not sure" and unanswered. Pure: no DOM, no network; it also loads
 * in Node for that test. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.GuideEngine = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  /* 5000 → "5.000 đ" (Vietnamese grouping) or "5,000 đ" in English. */
  function formatVnd(amount, lang) {
    const grouped = String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, lang === "en" ? "," : ".");
    return grouped + "\u00a0đ";
  }

  /* Today's date (YYYY-MM-DD) in the office's time zone, whatever the kiosk's clock zone. */
  function localDay(tz, now) {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(now || new Date());
    const get = (type) => parts.find((p) => p.type === type).value;
    return `${get("year")}-${get("month")}-${get("day")}`;
  }

  function inForce(c, day) {
    return (!c.valid_from || c.valid_from <= day) && (!c.valid_to || day <= c.valid_to);
  }

  /* The fee for `answers` on `day`, or null when unknown or not yet known (estimate_fee). */
  function feeAmount(fee, answers, day, pages, copies) {
    const count = copies == null ? 1 : copies;
    let amount;
    if (fee.kind === "fixed") {
      amount = fee.amount_vnd;
    } else if (fee.kind === "by_answer") {
      if (!(fee.rule.question in answers)) return null;
      const answer = answers[fee.rule.question];
      const hit = fee.rule.cases.find((c) => c.answer === answer && inForce(c, day));
      amount = hit ? hit.amount_vnd : fee.rule.default_vnd;
    } else {
      if (pages == null) return null;
      let perCopy = 0;
      for (const tier of fee.tiers) {
        const last = tier.to_page == null ? pages : Math.min(pages, tier.to_page);
        if (last >= tier.from_page) perCopy += (last - tier.from_page + 1) * tier.vnd_per_page;
      }
      if (fee.max_vnd_per_copy != null) perCopy = Math.min(perCopy, fee.max_vnd_per_copy);
      return perCopy * count;
    }
    if (amount == null) return null;
    return fee.unit === "per_copy" ? amount * count : amount;
  }

  /* A computed amount as the checklist shows it (amount_text). */
  function amountText(fee, amount) {
    if (amount == null) {
      return { vi: "Chưa ước tính được; xem trên cổng hoặc hỏi cán bộ", en: "No estimate; see the portal or ask the staff" };
    }
    if (amount === 0) return { vi: fee.charge === "phi" ? "Miễn phí" : "Miễn lệ phí", en: "Free" };
    return { vi: formatVnd(amount, "vi"), en: formatVnd(amount, "en") };
  }

  /* The fee text in force on `day`: the bundle holds one text per period. */
  function feeLines(fee, day) {
    let lines = fee.text;
    for (const period of fee.periods || []) if (period.from <= day) lines = period.text;
    return lines;
  }

  function documentOut(p, d) {
    return {
      id: d.id, name: d.name, name_en: d.name_en, original: d.original, copy: d.copy,
      online: d.online, note: d.note, note_en: d.note_en, upload: Boolean(p.online && d.online === "upload"),
    };
  }

  function notesOf(question, branch) {
    return branch.notes.map((n) => ({ vi: n.vi, en: n.en, kind: "branch", question: question.id, document: null }));
  }

  function alternative(p, question, answers, day, pages, copies) {
    const depends = p.fee.kind === "by_answer" && p.fee.rule.question === question.id;
    const outcomes = [true, false].map((answer) => {
      const branch = answer ? question.yes : question.no;
      const fee = depends ? feeAmount(p.fee, { ...answers, [question.id]: answer }, day, pages, copies) : null;
      return {
        answer,
        documents: p.documents.filter((d) => branch.add_documents.includes(d.id)).map((d) => documentOut(p, d)),
        notes: notesOf(question, branch),
        stop: branch.stop,
        suggestion: branch.suggestion,
        fee_vnd: fee,
        fee_text: depends ? amountText(p.fee, fee) : null,
      };
    });
    return { question: question.id, ask: question.ask, ask_en: question.ask_en, fee_depends: depends, outcomes };
  }

  /* The wizard for `answers` (id → bool) and the questions in `unsure`, as the API's checklist. */
  function checklist(p, answers, options) {
    const opts = options || {};
    const unsure = opts.unsure || [];
    const day = opts.day;
    const added = new Set();
    const notes = [];
    const suggestions = [];
    const unanswered = [];
    const alternatives = [];
    for (const question of p.wizard) {
      if (unsure.includes(question.id)) {
        alternatives.push(alternative(p, question, answers, day, opts.pages, opts.copies));
        continue;
      }
      if (!(question.id in answers)) {
        unanswered.push(question.id);
        continue;
      }
      const answer = answers[question.id];
      const branch = answer ? question.yes : question.no;
      const branchNotes = notesOf(question, branch);
      if (branch.stop) {
        return {
          procedure: p.code, documents: [], notes: branchNotes, fee_vnd: null,
          fee_text: amountText(p.fee, null), fee_unit: p.fee.unit, fee_inputs: [], fee_exemptions: [],
          present_id: p.present_id, online_class: p.online_class,
          suggestions: branch.suggestion ? [branch.suggestion] : [],
          stopped: { question: question.id, answer, suggestion: branch.suggestion },
          unanswered, alternatives: [], complete: true,
        };
      }
      branch.add_documents.forEach((id) => added.add(id));
      notes.push(...branchNotes);
      if (branch.suggestion && !suggestions.some((s) => s.code === branch.suggestion.code)) {
        suggestions.push(branch.suggestion);
      }
    }
    const documents = p.documents
      .filter((d) => d.when === "always" || added.has(d.id))
      .map((d) => documentOut(p, d));
    for (const d of p.documents) {
      if (d.case != null) {
        notes.push({
          vi: `${d.name}: ${d.case}`, en: `${d.name_en}: ${d.case_en || d.case}`,
          kind: "case", question: null, document: d.id,
        });
      }
    }
    const fee = feeAmount(p.fee, answers, day, opts.pages, opts.copies);
    return {
      procedure: p.code, documents, notes, fee_vnd: fee, fee_text: amountText(p.fee, fee),
      fee_unit: p.fee.unit, fee_inputs: p.fee.inputs,
      fee_exemptions: fee === 0 ? [] : p.fee.exemptions,
      present_id: p.present_id, online_class: p.online_class, suggestions,
      stopped: null, unanswered, alternatives, complete: unanswered.length === 0,
    };
  }

  return { formatVnd, localDay, feeAmount, amountText, feeLines, checklist };
});
