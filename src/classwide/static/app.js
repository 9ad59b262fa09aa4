// classwide page: talks to /api/v1 only; no external resources.
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({
  "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
let structureEditor = null;
const definitions = new Map();  // rule id -> its clauses, with the words they use and their meaning

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    throw new Error(error.message ? `${error.message}${error.limit ? ` (limit: ${error.limit})` : ""}`
                                  : `HTTP ${response.status}`);
  }
  return body;
}

function tabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) other.classList.remove("active");
      for (const panel of document.querySelectorAll(".panel")) panel.classList.add("hidden");
      tab.classList.add("active");
      $(tab.dataset.tab).classList.remove("hidden");
    });
  }
}

async function loadRules() {
  const info = await api("/api/v1/rules");
  $("rules-version").textContent = `rules ${info.rules_version}`;
  for (const rule of info.rules) if (rule.clauses) definitions.set(rule.id, rule.clauses);
  const codes = [...new Set(info.rules.map((r) => r.jurisdiction))].sort();
  const box = $("jurisdictions");
  for (const code of codes) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" value="${esc(code)}" checked> ${esc(code)}`;
    box.appendChild(label);
  }
}

function chosenJurisdictions() {
  return [...document.querySelectorAll("#jurisdictions input:checked")].map((i) => i.value);
}

function matchHtml(match) {
  const off = match.applies ? "" : " off";
  if ("class" in match) {  // a class definition or a precursor family: clauses and regions
    const clauses = match.clauses.length ? `<span class="clauses">[${esc(match.clauses.join(", "))}]</span> ` : "";
    return `<div class="match${off}">${esc(match.kind)} <b>${esc(match.rule)}</b> ${clauses}` +
      `${match.applies ? "applies" : `does not apply: ${esc(match.reason)}`}<br>` +
      `${esc(match.explanation)}<br><small>since ${esc(match.since)} · ${esc(match.instrument)}</small>` +
      clauseList(match) + `</div>`;
  }
  const where = match.schedule ? `Schedule ${esc(match.schedule)}` : esc(match.list || match.source);
  return `<div class="match${off}">${esc(match.kind)}: <b>${esc(match.name)}</b> in ${where} ` +
    `(${esc(match.rule)})<br><small>since ${esc(match.since)}${match.since_exact === false ? " or earlier" : ""}` +
    ` · ${esc(match.instrument)}${match.listing_verified !== "V" ? ` · listing ${esc(match.listing_verified)}` : ""}</small></div>`;
}

// Beside each clause the structure uses: the law's words, and what each word of the vocabulary means.
function clauseList(match) {
  const known = definitions.get(match.rule) || [];
  const items = [];
  for (const label of match.clauses) {
    const seen = new Set();
    for (const clause of known.filter((c) => c.label === label)) {
      if (seen.has(clause.text)) continue;
      seen.add(clause.text);
      const words = clause.words.map((w) => `<i>${esc(w.kind)}</i>: ${esc(w.means)}`).join("; ");
      items.push(`<li class="clause" data-clause="${esc(label)}"><b>${esc(label)}</b> ${esc(clause.text)}` +
        (words ? `<br><small>${words}</small>` : "") + `</li>`);
    }
  }
  return items.length ? `<ul class="clause-words">${items.join("")}</ul>` : "";
}

function render(record) {
  const parts = [`<div class="parent">judged: ${esc(record.standardized)} · law as of ${esc(record.as_of)}</div>`, `<div class="cards">`];
  for (const [code, verdict] of Object.entries(record.jurisdictions)) {
    const depiction = (record.depictions || {})[code];
    const legend = depiction ? Object.entries(depiction.legend).map(([label, colour]) =>
      `<span><i style="background:${esc(colour)}"></i>${esc(label)}</span>`).join("") : "";
    parts.push(`<article class="card" data-jurisdiction="${esc(code)}">` +
      `<h2>${esc(code)} <span class="badge ${esc(verdict.status)}">${esc(verdict.status.replace("_", " "))}</span></h2>` +
      (depiction ? depiction.svg + `<div class="legend">${legend}</div>` : "") +
      verdict.matches.map(matchHtml).join("") +
      verdict.near_misses.map((n) => `<div class="near">${esc(n.rule)}: outside: ${esc(n.reason)}</div>`).join("") +
      verdict.review.map((r) => `<div class="review">Review: under the reading <b>${esc(r.reading)}</b> ` +
        `(${esc(r.alternative)}) the ${esc(r.rule)} class match would be ${r.class_match_would_be}, ` +
        `status ${esc(r.status_would_be)}.</div>`).join("") +
      `</article>`);
  }
  parts.push("</div>");
  $("result").innerHTML = parts.join("");
}

async function check(structure) {
  $("message").textContent = "";
  $("result").innerHTML = "";
  if (!structure.trim()) { $("message").textContent = "Enter a structure, a name or a CAS number."; return; }
  $("check-button").disabled = true;
  try {
    const body = { structure, jurisdictions: chosenJurisdictions(), depict: true };
    if ($("as-of").value) body.as_of = $("as-of").value;
    render(await api("/api/v1/check", { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify(body) }));
  } catch (error) {
    $("message").textContent = error.message;
  } finally {
    $("check-button").disabled = false;
  }
}

async function screenFile(event) {
  event.preventDefault();
  const file = $("batch-file").files[0];
  if (!file) { $("batch-status").textContent = "Choose a file first."; return; }
  const form = new FormData();
  form.append("file", file);
  const query = new URLSearchParams({ jurisdictions: chosenJurisdictions().join(",") });
  if ($("as-of").value) query.set("as_of", $("as-of").value);
  $("batch-links").innerHTML = "";
  try {
    let job = await api(`/api/v1/screen?${query}`, { method: "POST", body: form });
    $("batch-progress").classList.remove("hidden");
    while (job.state === "queued" || job.state === "running") {
      const share = job.total ? Math.round(100 * job.records / job.total) : 0;
      $("batch-progress").value = share;
      $("batch-status").textContent = `${job.state}: ${job.records}${job.total ? ` of ${job.total}` : ""} records`;
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await api(`/api/v1/jobs/${job.id}`);
    }
    $("batch-progress").value = 100;
    $("batch-status").textContent = job.state === "done"
      ? `done: ${job.records} records, ${job.errors} with an error` : `failed: ${job.message}`;
    if (job.results) {
      $("batch-links").innerHTML = `<a href="${job.results.jsonl}">Download JSONL</a> · <a href="${job.results.csv}">Download CSV</a>`;
    }
  } catch (error) {
    $("batch-status").textContent = error.message;
  }
}

function editor() {
  // JSME, served from /static/vendor/jsme when the build installed it (no CDN).
  const script = document.createElement("script");
  script.src = "/static/vendor/jsme/jsme.nocache.js";
  script.onerror = () => { $("editor-note").textContent = "The structure editor is not installed on this server; type or paste instead."; };
  window.jsmeOnLoad = () => {
    const width = Math.min(560, $("jsme-container").clientWidth || 360);
    structureEditor = new JSApplet.JSME("jsme-container", `${width}px`, "360px", { options: "newlook" });
    $("editor-note").textContent = "Draw, then check the drawing.";
  };
  document.head.appendChild(script);
  $("use-drawing").addEventListener("click", () => {
    if (!structureEditor) return;
    const smiles = structureEditor.smiles();
    $("structure").value = smiles;
    check(smiles);
  });
}

tabs();
loadRules().catch((error) => { $("message").textContent = error.message; });
$("check-form").addEventListener("submit", (event) => { event.preventDefault(); check($("structure").value); });
$("batch-form").addEventListener("submit", screenFile);
editor();
