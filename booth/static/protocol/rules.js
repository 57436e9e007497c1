// Seat and rating rules (PROTOCOL.md §10; the twin of ballot/rules.py): pure
// functions of the counts and the manifest, so a verifier recomputes the result.

/** Each broken inequality of enrolled >= present >= issued >= cast, in words. */
export function reconciliationProblems({ enrolled, present, issued, cast }) {
  const out = [];
  if (present > enrolled) out.push(`${present} present exceeds ${enrolled} enrolled`);
  if (issued > present) out.push(`${issued} credentials issued exceeds ${present} present`);
  if (cast > issued) {
    out.push(`${cast} ballots cast exceeds ${issued} credentials issued: the round is void`);
  }
  return out;
}

/** majority-top-k: pass on a strict majority of the basis, top K by for. */
export function selectionResult(manifest, counts, cast) {
  const { seats, basis: basisName } = manifest.rule;
  const basis = basisName === "enrolled" ? manifest.enrolled : cast;
  const forIndex = manifest.options.indexOf("for");
  const againstIndex = manifest.options.indexOf("against");
  const rows = manifest.rowIds.map((id, r) => {
    const votesFor = counts[r][forIndex];
    const votesAgainst = againstIndex < 0 ? 0 : counts[r][againstIndex];
    return { id, for: votesFor, against: votesAgainst, abstain: cast - votesFor - votesAgainst,
             status: "failed" };
  });
  const passing = rows.filter((r) => 2 * r.for > basis).sort((x, y) => y.for - x.for);
  let runoff = null;
  let unfilled = 0;
  if (passing.length <= seats) {
    for (const r of passing) r.status = "elected";
    unfilled = seats - passing.length;
  } else {
    const cutoff = passing[seats - 1].for;
    const above = passing.filter((r) => r.for > cutoff);
    const at = passing.filter((r) => r.for === cutoff);
    for (const r of passing) r.status = "not_elected";
    for (const r of above) r.status = "elected";
    if (above.length + at.length <= seats) {
      for (const r of at) r.status = "elected";
    } else {
      for (const r of at) r.status = "tied";
      runoff = { candidates: rows.filter((r) => r.status === "tied").map((r) => r.id),
                 seats: seats - above.length };
    }
  }
  return { rows, elected: rows.filter((r) => r.status === "elected").map((r) => r.id), runoff,
           unfilled };
}

/** satisfaction: class by majority of enrolled, flag under the threshold. */
export function ratingResult(manifest, counts) {
  const [num, den] = manifest.rule.threshold;
  const enrolled = manifest.enrolled;
  const at = (o) => manifest.options.indexOf(o);
  return {
    rows: manifest.rowIds.map((id, r) => {
      const s = counts[r][at("satisfied")];
      const b = counts[r][at("basically_satisfied")];
      const d = counts[r][at("dissatisfied")];
      const marks = s + b + d;
      const cls = 2 * s > enrolled ? "satisfied"
        : 2 * (s + b) > enrolled ? "basically_satisfied" : "dissatisfied";
      const flagged = marks === 0 || (s + b) * den < num * marks;
      return { id, satisfied: s, basically_satisfied: b, dissatisfied: d, marks,
               rate: [s + b, marks], class: cls, flagged };
    }),
  };
}

/** The whole result.json object for a round. */
export function computeResult(manifest, counts, reconciliation) {
  const body = manifest.kind === "selection"
    ? selectionResult(manifest, counts, reconciliation.cast)
    : ratingResult(manifest, counts);
  return { reconciliation: { enrolled: reconciliation.enrolled, present: reconciliation.present,
                             issued: reconciliation.issued, cast: reconciliation.cast }, ...body };
}
